/*
 * The guest chat widget. A host page adds one tag:
 *   <script src="https://HOST/widget.js" data-business-id="..." async></script>
 * and gets a launcher button and a chat panel in a shadow root, talking to HOST/realtime.
 *
 * Optional attributes: data-title, data-user-name (the name staff see), data-accent-color,
 * data-email-capture="false" (hide the email form), data-open="true" (start open),
 * data-server (another server than the script's own), data-track-pages="false" (do not tell staff
 * which page the visitor is on: pages.js), data-locale (the widget's language, i18n.js).
 *
 * A visitor who never opens the chat costs the server nothing: the connection opens on the first
 * open, the room on the first message. A returning visitor (a room in localStorage) reconnects at
 * load so staff replies show up as an unread count on the launcher.
 */

const TYPING_SHOWN_MS = 6000;

const ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z';
const ICON_CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';

function icon(path) {
  return svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' }, svg('path', { d: path }));
}

class ChatWidget {
  constructor(script) {
    const data = script.dataset;
    this.businessId = data.businessId;
    this.locale = widgetLocale(script); // the visitor's language (i18n.js), also sent on join
    this.t = translator(this.locale.lang);
    this.title = data.title || this.t('title');
    this.userName = data.userName || null;
    this.emailCapture = data.emailCapture !== 'false';
    this.storage = new WidgetStorage(this.businessId);
    const saved = this.storage.load();
    this.guestId = saved.guestId || null;
    this.wantsRoom = Boolean(saved.joined);
    this.isOpen = false;
    this.fatal = null;
    this.roomStatus = 'open';
    this.typingShownTimer = null;
    this.readByStaff = 0;
    this.lastReadSent = 0;

    const base = serverBase(script);
    this.conn = new ChatConnection({
      url: `${base.replace(/^http/, 'ws')}/realtime`,
      credentials: () => ({ sessionId: this.storage.load().sessionId }),
    });
    this.room = new RoomSync(this.conn, {
      joinData: () => ({ businessId: this.businessId, locale: this.locale.tag, ...(this.userName ? { userName: this.userName } : {}) }),
      onChange: () => this.render(),
      onRoom: (room) => this.onRoom(room),
      outbox: saved.outbox,
      saveOutbox: (outbox) => this.storage.save({ outbox }),
    });
    if (this.room.hasPending) this.wantsRoom = true;
    this.typing = new TypingSignal(this.conn, () => this.room.roomId);
    this.presence = new StaffPresence({ conn: this.conn, businessId: this.businessId, onChange: () => this.renderStatus() });
    this.pages = data.trackPages === 'false' ? null : new PageTracker(this.conn, () => this.room.roomId);

    this.build(data.accentColor);
    this.listen();
    if (this.wantsRoom) this.conn.start();
    if (data.open === 'true') this.setOpen(true, false);
    this.render();
  }

  // building

  build(accent) {
    this.host = document.createElement('chatserver-widget');
    this.host.setAttribute('data-business-id', this.businessId);
    const t = this.t;
    this.host.setAttribute('lang', t.lang);
    this.host.setAttribute('dir', t.dir); // Arabic: the panel and its text right to left
    const root = this.host.attachShadow({ mode: 'open' });
    if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(WIDGET_CSS); // not an inline <style>: passes a host page's strict style-src CSP
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(h('style', {}, WIDGET_CSS));
    }
    if (accent && /^#[0-9a-fA-F]{3,8}$/.test(accent)) this.host.style.setProperty('--csw-accent', accent);

    this.unreadBadge = h('span', { className: 'unread', 'aria-hidden': 'true', hidden: true });
    this.launcher = h('button', {
      type: 'button', className: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'csw-panel',
      onClick: () => this.setOpen(!this.isOpen, true),
    }, icon(ICON_CHAT), h('span', { className: 'label' }, t('launcher')), this.unreadBadge);

    this.statusLine = h('p', { className: 'status', role: 'status' });
    this.guestBadge = h('span', { className: 'badge guest-badge', hidden: true }, t('guest'));
    const header = h('div', { className: 'header' },
      h('div', { className: 'titles' },
        h('h2', { id: 'csw-title' }, this.title, ' ', this.guestBadge),
        this.statusLine),
      h('button', {
        type: 'button', className: 'icon-button close', 'aria-label': t('closeChat'), onClick: () => this.setOpen(false, true),
      }, icon(ICON_CLOSE)));

    this.notice = h('p', { className: 'notice', role: 'alert', hidden: true });
    this.closedLine = h('p', { className: 'room-closed', role: 'status', hidden: true }, t('closed'));
    this.log = h('ol', { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t('conversation'), tabindex: '0' });
    this.log.addEventListener('scroll', () => this.onScroll());
    this.empty = h('p', { className: 'empty' }, t('empty'));
    this.typingLine = h('p', { className: 'typing', 'aria-live': 'polite' });

    this.capture = new EmailCapture({ conn: this.conn, t, saved: (email) => this.storage.save({ email }) });
    this.rating = new RatingPrompt({ conn: this.conn, t });

    this.input = h('textarea', {
      rows: '1', 'aria-label': t('message'), placeholder: t('placeholder'), maxlength: '2000', enterkeyhint: 'send',
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('blur', () => this.stopTyping());
    this.sendButton = h('button', { type: 'submit', className: 'button send' }, t('send'));
    const composer = h('form', {
      className: 'composer',
      onSubmit: (event) => {
        event.preventDefault();
        this.submit();
      },
    }, this.input, this.sendButton);

    this.panel = h('section', {
      id: 'csw-panel', className: 'panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'csw-title', hidden: true,
    }, header, this.notice, this.log, this.typingLine, this.closedLine, this.rating.el, this.capture.el, composer);
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.setOpen(false, true);
      }
    });
    root.append(this.panel, this.launcher);
    document.body.appendChild(this.host);
  }

  listen() {
    this.conn.on('ready', (identity) => this.onReady(identity));
    this.conn.on('state', () => this.renderStatus());
    this.conn.on('chat:new-message', (message) => this.room.receive(message));
    this.conn.on('chat:faq-response', (message) => this.room.receive(message));
    this.conn.on('chat:typing', (data) => this.onTyping(data));
    this.conn.on('chat:read', (data) => this.onRead(data));
    this.conn.on('chat:room-status', (data) => this.onRoomStatus(data));
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  // connection

  onReady(identity) {
    if (identity.event !== 'guest:registered') return;
    const saved = this.storage.load();
    if (!identity.resumed && saved.sessionId && saved.sessionId !== identity.sessionId) {
      // the old session expired: a new guest, a new conversation
      this.storage.save({ joined: false, roomId: null, seen: 0 });
      this.room.reset();
      this.readByStaff = 0;
      this.lastReadSent = 0;
      this.roomStatus = 'open';
      this.wantsRoom = this.room.hasPending;
    }
    this.storage.save({ sessionId: identity.sessionId, guestId: identity.guestId });
    this.guestId = identity.guestId;
    if (this.wantsRoom) this.syncRoom();
    this.presence.check(this.isOpen);
    this.render();
  }

  /** The room of every join: its id is kept for the next visit; staff's read position and status show. */
  onRoom(room) {
    this.storage.save({ joined: true, roomId: room._id });
    this.roomStatus = room.status || 'open';
    this.roomRating = room.rating || null; // the current closure's, to show an earlier answer
    if (room.readSeq) {
      this.readByStaff = Math.max(this.readByStaff, room.readSeq.staff || 0);
      this.lastReadSent = Math.max(this.lastReadSent, room.readSeq.visitor || 0);
    }
    const email = room.metadata && room.metadata.guestInfo && room.metadata.guestInfo.email;
    if (email) this.capture.known(email);
    if (this.pages) this.pages.roomReady();
  }

  async syncRoom() {
    try {
      await this.room.sync();
      this.fatal = null;
      this.markRead();
    } catch (err) {
      if (err.code === 'disconnected' || err.code === 'timeout') return; // the next 'ready' syncs again
      this.fatal = err.code === 'not_found' ? this.t('unavailable') : err.message;
    }
    this.render();
  }

  // user actions

  setOpen(open, moveFocus) {
    this.isOpen = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    this.launcher.setAttribute('aria-label', open ? this.t('closeChat') : this.t('openChat'));
    this.host.toggleAttribute('data-open', open);
    if (open) {
      this.conn.start();
      this.presence.check(true);
      this.render();
      this.scrollToBottom();
      this.markRead();
      if (moveFocus) this.input.focus();
      return;
    }
    this.presence.stop();
    if (moveFocus) this.launcher.focus();
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.stopTyping();
    this.room.enqueue(text);
    this.wantsRoom = true;
    this.conn.start();
    if (this.conn.ready && !this.room.synced) this.syncRoom();
    this.scrollToBottom();
  }

  onInput() {
    if (!this.room.synced) return;
    this.typing.typed();
  }

  stopTyping() {
    this.typing.stop();
  }

  // pushes

  /** chat:typing {roomId, isTyping, userId, userType, name}: staff typing (our own frames come back too). */
  onTyping(data) {
    if (!data || data.roomId !== this.room.roomId || data.userType !== 'staff') return;
    clearTimeout(this.typingShownTimer);
    if (data.isTyping) {
      setText(this.typingLine, this.t('typing', { name: data.name || this.t('support') }));
      this.typingShownTimer = setTimeout(() => setText(this.typingLine, ''), TYPING_SHOWN_MS);
    } else {
      setText(this.typingLine, '');
    }
  }

  /** chat:read {roomId, seq, side}: staff have read up to seq. */
  onRead(data) {
    if (!data || data.roomId !== this.room.roomId || data.side !== 'staff' || typeof data.seq !== 'number') return;
    if (data.seq > this.readByStaff) {
      this.readByStaff = data.seq;
      this.render();
    }
  }

  /** chat:room-status {roomId, status, by}: staff closed or reopened the chat, or our message reopened it. */
  onRoomStatus(data) {
    if (!data || data.roomId !== this.room.roomId) return;
    this.roomStatus = data.status;
    this.roomRating = null; // a new closure (or none): its rating is still to be given
    this.render();
  }

  markRead() {
    if (!this.isOpen || document.visibilityState === 'hidden' || !this.room.synced) return;
    const last = this.room.lastSeq;
    const saved = this.storage.load();
    if (last > (saved.seen || 0)) this.storage.save({ seen: last });
    // a receipt only for something new from staff or the system: our own messages need none
    if (this.room.messages.some((m) => m.seq > this.lastReadSent && !this.isMine(m))) {
      this.lastReadSent = last;
      this.conn.send('chat:read', { roomId: this.room.roomId, seq: last });
    }
    this.renderUnread();
  }

  onScroll() {
    if (this.log.scrollTop > 40 || !this.room.hasOlder || this.room.loadingOlder) return;
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    this.room.loadOlder(30).then(() => {
      this.log.scrollTop = this.log.scrollHeight - fromBottom;
    }).catch(() => {});
  }

  // rendering

  isMine(message) {
    return message.senderType === 'guest' && message.senderId === this.guestId;
  }

  render() {
    if (!this.log) return;
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 60;
    this.guestBadge.hidden = !this.guestId;
    const items = this.room.messages.map((message) => ({ key: `m:${message._id}`, message }));
    for (const pending of this.room.outbox) items.push({ key: `c:${pending.clientMsgId}`, pending });
    const mine = this.room.messages.filter((m) => this.isMine(m));
    this.lastMineId = mine.length ? mine[mine.length - 1]._id : null;
    reconcile(this.log, items, (item) => this.messageElement(item), (el, item) => this.updateElement(el, item));
    this.empty.hidden = items.length > 0;
    if (!items.length && !this.log.contains(this.empty)) this.log.appendChild(this.empty);
    if (items.length && this.log.contains(this.empty)) this.empty.remove();
    this.capture.el.hidden = !(this.emailCapture && this.room.synced);
    this.closedLine.hidden = !(this.room.synced && this.roomStatus === 'closed');
    this.rating.show(this.room.roomId, this.room.synced && this.roomStatus === 'closed', this.roomRating);
    this.notice.hidden = !this.fatal;
    setText(this.notice, this.fatal);
    this.renderStatus();
    this.renderUnread();
    if (atBottom || !this.isOpen) this.scrollToBottom();
    if (this.isOpen) this.markReadSoon();
  }

  markReadSoon() {
    if (this.readScheduled) return;
    this.readScheduled = true;
    setTimeout(() => {
      this.readScheduled = false;
      this.markRead();
    }, 0);
  }

  messageElement(item) {
    if (item.pending) {
      const el = h('li', { className: 'msg msg--mine' },
        h('div', { className: 'bubble' }, h('span', { className: 'text' }, item.pending.content)),
        h('div', { className: 'state' }));
      this.updateElement(el, item);
      return el;
    }
    const m = item.message;
    const kind = m.senderType === 'system' || m.faqId ? 'system' : this.isMine(m) ? 'mine' : 'staff';
    const t = this.t;
    const label = kind === 'system' ? t(m.faqId ? 'automaticAnswer' : 'automaticMessage') : kind === 'mine' ? t('you') : m.senderName;
    const el = h('li', { className: `msg msg--${kind}`, dataset: { seq: String(m.seq), id: m._id, state: 'sent' } },
      h('div', { className: 'meta' }, label, ' · ', h('time', { datetime: m.createdAt }, formatTime(m.createdAt, this.locale.tag))),
      h('div', { className: 'bubble' }, h('span', { className: 'text' }, m.content)));
    if (kind === 'mine') el.appendChild(h('div', { className: 'state' }));
    this.updateElement(el, item);
    return el;
  }

  updateElement(el, item) {
    const state = el.querySelector('.state');
    if (item.pending) {
      const { state: value, error, clientMsgId } = item.pending;
      if (el.dataset.state === value && el.dataset.error === (error || '')) return;
      el.dataset.state = value;
      el.dataset.error = error || '';
      state.replaceChildren();
      if (value === 'failed') {
        state.append(`${this.t('notSent')}${error ? `: ${error}` : ''}`,
          h('button', { type: 'button', onClick: () => this.room.retry(clientMsgId) }, this.t('retry')),
          h('button', { type: 'button', onClick: () => this.room.discard(clientMsgId) }, this.t('delete')));
      } else {
        state.append(this.t(this.conn.ready ? 'sending' : 'waiting'));
      }
      return;
    }
    if (!state) return;
    const latest = item.message._id === this.lastMineId;
    setText(state, !latest ? '' : this.t(this.readByStaff >= item.message.seq ? 'seen' : 'sent'));
  }

  renderStatus() {
    const keys = { idle: 'idle', connecting: 'connecting', open: 'online', reconnecting: 'reconnecting', closed: 'offline', refused: 'refused' };
    const away = this.conn.state === 'open' && this.presence.online === false;
    this.statusLine.dataset.state = away ? 'away' : this.conn.state;
    setText(this.statusLine, away ? this.t('idle') : keys[this.conn.state] ? this.t(keys[this.conn.state]) : '');
    for (const el of this.log.querySelectorAll('.msg[data-state="pending"] .state')) {
      setText(el, this.t(this.conn.ready ? 'sending' : 'waiting'));
    }
  }

  renderUnread() {
    const seen = this.storage.load().seen || 0;
    const unread = this.isOpen ? 0 : this.room.messages.filter((m) => m.seq > seen && !this.isMine(m)).length;
    this.unreadBadge.hidden = unread === 0;
    setText(this.unreadBadge, unread > 99 ? '99+' : unread);
    if (!this.isOpen) this.launcher.setAttribute('aria-label', unread ? this.t('openChatUnread', { n: unread }) : this.t('openChat'));
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
