/*
 * One open chat: its history (older pages load when scrolled to the top), live messages, the reply
 * box with pending/sent/failed states, typing indicators (chat:typing both ways) and read receipts
 * (chat:read: the staff side's position is sent as the chat is read, the visitor's shows as
 * "Seen"). The header and the room's controls are RoomControls (controls.js); the "/" list of
 * canned responses in the reply box is CannedPicker (canned.js).
 */

import { CannedPicker } from './canned.js';
import { RoomControls, visitorEmail, visitorName } from './controls.js';
import { displayName } from './visitors.js';

const TYPING_SHOWN_MS = 6000;
const PAGE_SIZE = 30;

export class Conversation {
  /** canned: the business's CannedResponses (canned.js), offered in the reply box. */
  constructor({ root, conn, api, me, list, canned }) {
    this.root = root;
    this.canned = canned;
    this.conn = conn;
    this.api = api;
    this.me = me;
    this.list = list;
    this.syncs = new Map(); // roomId -> RoomSync, kept while the page lives
    this.roomId = null;
    this.typingShown = new Map(); // roomId -> {text, timer}
    this.readByVisitor = new Map(); // roomId -> seq
    this.readSent = new Map();
    this.typing = new TypingSignal(this.conn, () => this.roomId);
    this.notice = null;
    this.build();
    this.controls = new RoomControls({
      header: this.header, convert: this.convert, conn, api, me, list,
      say: (text) => {
        this.notice = text;
      },
      changed: () => this.render(),
    });
    document.addEventListener('visibilitychange', () => this.markRead());
  }

  build() {
    this.header = h('div', { className: 'conv-header' });
    this.convert = h('div', { className: 'convert', hidden: true });
    this.noticeEl = h('p', { className: 'notice', role: 'alert', hidden: true });
    this.edge = h('li', { className: 'history-edge', dataset: { key: 'edge' } });
    this.log = h('ol', { className: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
    this.log.addEventListener('scroll', () => this.onScroll());
    this.typingLine = h('p', { className: 'typing', 'aria-live': 'polite' });
    this.input = h('textarea', { rows: '2', 'aria-label': 'Reply', placeholder: 'Write a reply… (Enter sends, Shift+Enter for a new line)' });
    this.picker = new CannedPicker({
      input: this.input,
      store: this.canned,
      values: () => this.placeholderValues(),
      inserted: () => this.onInput(),
    });
    this.input.addEventListener('keydown', (event) => {
      if (this.picker.keydown(event)) return; // while the list is open, Enter inserts: it does not send
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('blur', () => this.stopTyping());
    this.composer = h('form', {
      className: 'composer',
      onSubmit: (event) => {
        event.preventDefault();
        this.submit();
      },
    }, this.input, this.picker.list, h('button', { type: 'submit', className: 'button' }, 'Send'));
    this.placeholder = h('p', { className: 'placeholder' }, 'Choose a chat from the list.');
    // on a phone the list and the chat are two screens (app.js): this leads back to the list
    this.back = h('button', { type: 'button', className: 'button subtle back-to-list' }, '← All chats');
    this.back.addEventListener('click', () => {
      window.location.hash = '#/chats';
    });
    this.view = h('div', { className: 'conversation-view', hidden: true },
      this.back, this.header, this.convert, this.noticeEl, this.log, this.typingLine, this.composer);
    this.root.replaceChildren(this.placeholder, this.view);
  }

  get sync() {
    return this.roomId ? this.syncs.get(this.roomId) : null;
  }

  get room() {
    return this.roomId ? this.list.rooms.get(this.roomId) || (this.sync && this.sync.room) : null;
  }

  syncFor(roomId) {
    let sync = this.syncs.get(roomId);
    if (!sync) {
      sync = new RoomSync(this.conn, {
        joinData: () => ({ roomId }),
        pageSize: PAGE_SIZE,
        onChange: () => {
          if (roomId === this.roomId) this.render();
        },
        onRoom: (room) => {
          this.list.upsert(room);
          this.list.render();
        },
      });
      this.syncs.set(roomId, sync);
    }
    return sync;
  }

  async show(roomId) {
    if (this.roomId !== roomId) {
      this.stopTyping();
      this.input.value = '';
      this.picker.close();
      this.notice = null;
    }
    this.roomId = roomId;
    this.list.select(roomId);
    const sync = this.syncFor(roomId);
    this.placeholder.hidden = true;
    this.view.hidden = false;
    this.render();
    this.scrollToBottom();
    if (!sync.synced) await this.syncRoom(sync);
    this.scrollToBottom();
    this.fillViewport();
  }

  /** chat:room-deleted: an erased room is forgotten; if it is the open one, the view closes. */
  deleted(roomId) {
    this.syncs.delete(roomId);
    this.typingShown.delete(roomId);
    this.readByVisitor.delete(roomId);
    this.readSent.delete(roomId);
    if (this.roomId !== roomId) return;
    this.stopTyping();
    this.roomId = null;
    this.input.value = '';
    this.picker.close();
    this.view.hidden = true;
    this.placeholder.textContent = 'This chat was erased (the visitor\'s data was deleted).';
    this.placeholder.hidden = false;
  }

  /** After a reconnect: rooms followed before are no longer followed; resync the open one now. */
  reconnected() {
    for (const sync of this.syncs.values()) sync.synced = false;
    if (this.sync) this.syncRoom(this.sync);
  }

  async syncRoom(sync) {
    try {
      await sync.sync();
      if (sync === this.sync) this.notice = null;
    } catch (err) {
      if (err.code !== 'disconnected' && err.code !== 'timeout' && sync === this.sync) this.notice = err.message;
    }
    this.render();
    this.markRead();
  }

  receive(message) {
    const sync = this.syncs.get(message.roomId);
    if (sync) sync.receive(message);
    if (message.roomId === this.roomId) this.markReadSoon();
  }

  // pushes for any followed room

  /** chat:typing {roomId, isTyping, userId, userType, name}: the visitor, or a colleague. */
  typingEvent(data) {
    if (!data || !data.roomId || data.userId === this.me.userId) return;
    const current = this.typingShown.get(data.roomId);
    if (current) clearTimeout(current.timer);
    if (data.isTyping) {
      const room = this.list.rooms.get(data.roomId);
      // a guest's connection has no name of its own: the one it gave when opening the room
      const name = data.userType === 'staff' ? data.name : room ? displayName(room) : data.name || 'The visitor';
      const text = `${name} is typing…`;
      const timer = setTimeout(() => {
        this.typingShown.delete(data.roomId);
        this.renderTyping();
      }, TYPING_SHOWN_MS);
      this.typingShown.set(data.roomId, { text, timer });
    } else {
      this.typingShown.delete(data.roomId);
    }
    this.renderTyping();
  }

  /** chat:read {roomId, seq, side}: the visitor's side read up to seq (the staff side's comes as room-updated). */
  readEvent(data) {
    if (!data || !data.roomId || typeof data.seq !== 'number' || data.side !== 'visitor') return;
    if (data.seq > (this.readByVisitor.get(data.roomId) || 0)) {
      this.readByVisitor.set(data.roomId, data.seq);
      if (data.roomId === this.roomId) this.render();
    }
  }

  // actions

  submit() {
    const text = this.input.value.trim();
    if (!text || !this.sync) return;
    this.input.value = '';
    this.picker.close();
    this.stopTyping();
    this.sync.enqueue(text);
    this.scrollToBottom();
  }

  /** What a canned response's placeholders become in the open room, at the time it is inserted. */
  placeholderValues() {
    const room = this.room;
    return {
      'visitor.name': room ? visitorName(room) : '',
      'visitor.email': room ? visitorEmail(room) : '',
      'staff.name': this.me.name || '',
    };
  }

  onInput() {
    if (!this.sync || !this.sync.synced) return;
    this.typing.typed();
  }

  stopTyping() {
    this.typing.stop();
  }

  markReadSoon() {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => this.markRead(), 300);
  }

  markRead() {
    const sync = this.sync;
    if (!sync || !sync.synced || document.visibilityState === 'hidden') return;
    const seq = sync.lastSeq;
    const room = this.room;
    const serverRead = room && room.readSeq ? room.readSeq.staff || 0 : 0;
    const readUpTo = Math.max(serverRead, this.readSent.get(this.roomId) || 0);
    // a receipt only for something new from the visitor (what staff's unread count counts)
    if (sync.messages.some((m) => m.seq > readUpTo && (m.senderType === 'guest' || m.senderType === 'customer'))) {
      this.readSent.set(this.roomId, seq);
      this.conn.send('chat:read', { roomId: this.roomId, seq }); // dashboards get chat:room-updated, unreadCount 0
    }
  }

  // scrolling

  onScroll() {
    if (this.log.scrollTop < 60) this.loadOlder();
  }

  async loadOlder() {
    const sync = this.sync;
    if (!sync || !sync.hasOlder || sync.loadingOlder) return;
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    try {
      await sync.loadOlder(PAGE_SIZE);
    } catch (err) {
      return;
    }
    if (sync !== this.sync) return;
    this.render();
    this.log.scrollTop = this.log.scrollHeight - fromBottom; // keep the reader's place
  }

  /** A short first page may not overflow: load older pages until it scrolls or history ends. */
  async fillViewport() {
    let guard = 10;
    while (guard-- > 0 && this.sync && this.sync.hasOlder && this.log.scrollHeight <= this.log.clientHeight) {
      await this.loadOlder();
    }
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // rendering

  render() {
    const room = this.room;
    const sync = this.sync;
    if (!room || !sync) return;
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    this.controls.render(room);
    this.noticeEl.hidden = !this.notice;
    setText(this.noticeEl, this.notice);
    const items = [{ key: 'edge' }];
    for (const message of sync.messages) items.push({ key: `m:${message._id}`, message });
    for (const pending of sync.outbox) items.push({ key: `c:${pending.clientMsgId}`, pending });
    const readSeq = Math.max(this.readByVisitor.get(this.roomId) || 0, (room.readSeq && room.readSeq.visitor) || 0);
    const staff = sync.messages.filter((m) => m.senderType === 'staff');
    this.seenId = null;
    for (const m of staff) if (m.seq <= readSeq) this.seenId = m._id;
    reconcile(this.log, items, (item) => this.element(item), (el, item) => this.update(el, item));
    setText(this.edge, sync.hasOlder ? (sync.loadingOlder ? 'Loading older messages…' : 'Scroll up for older messages')
      : sync.synced ? 'Start of the conversation' : 'Loading…');
    this.renderTyping();
    if (atBottom) this.scrollToBottom();
  }

  renderTyping() {
    const shown = this.typingShown.get(this.roomId);
    setText(this.typingLine, shown ? shown.text : '');
  }

  kind(message) {
    if (message.senderType === 'system' || message.faqId) return 'system';
    if (message.senderType === 'staff') return message.senderId === this.me.userId ? 'staff msg--mine' : 'staff';
    return 'visitor';
  }

  element(item) {
    if (item.key === 'edge') return this.edge;
    if (item.pending) {
      const el = h('li', { className: 'msg msg--staff msg--mine' },
        h('div', { className: 'meta' }, this.me.name || 'You'),
        h('div', { className: 'bubble' }, h('span', { className: 'text' }, item.pending.content)),
        h('div', { className: 'state' }));
      this.update(el, item);
      return el;
    }
    const m = item.message;
    const kind = this.kind(m);
    const room = m.isGuest ? this.list.rooms.get(m.roomId) : null; // an unnamed guest: its list label
    const sender = room && m.senderType !== 'staff' && m.senderType !== 'system' ? displayName(room) : m.senderName;
    const label = kind === 'system' ? (m.faqId ? 'Automatic answer (FAQ)' : 'Automatic message') : sender;
    const el = h('li', { className: `msg msg--${kind}`, dataset: { seq: String(m.seq), id: m._id, state: 'sent' } },
      h('div', { className: 'meta' }, label, ' · ', h('time', { datetime: m.createdAt }, formatTime(m.createdAt))),
      h('div', { className: 'bubble' }, h('span', { className: 'text' }, m.content)),
      m.senderType === 'staff' ? h('div', { className: 'state' }) : null);
    this.update(el, item);
    return el;
  }

  update(el, item) {
    if (item.key === 'edge') return;
    const state = el.querySelector('.state');
    if (item.pending) {
      const { state: value, error, clientMsgId } = item.pending;
      el.dataset.state = value;
      state.replaceChildren();
      if (value === 'failed') {
        state.append(`Not sent${error ? `: ${error}` : ''}`,
          h('button', { type: 'button', onClick: () => this.sync && this.sync.retry(clientMsgId) }, 'Retry'),
          h('button', { type: 'button', onClick: () => this.sync && this.sync.discard(clientMsgId) }, 'Delete'));
      } else {
        state.append(this.conn.ready ? 'Sending…' : 'Waiting for connection…');
      }
      return;
    }
    if (state) setText(state, item.message._id === this.seenId ? 'Seen' : '');
  }
}
