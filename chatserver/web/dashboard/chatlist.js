/*
 * The live chat list: rooms of the business from GET /api/chat/rooms, kept current by
 * chat:room-created / chat:room-updated pushes (from any instance, through the business
 * channel), by the messages of rooms this dashboard follows, and by a periodic refresh that
 * is the only source while the server does not push room events.
 */

const POLL_FAST_MS = 5000; // while the server has not shown it pushes room events
const POLL_SLOW_MS = 30000; // a safety net once it has

export class ChatList {
  constructor({ root, filter, more, api, businessId, seenKey, onOpen }) {
    this.root = root;
    this.filter = filter;
    this.more = more;
    this.api = api;
    this.businessId = businessId;
    this.seenKey = seenKey;
    this.onOpen = onOpen;
    this.rooms = new Map();
    this.selectedId = null;
    this.nextCursor = null;
    this.pushes = false;
    this.timer = null;
    this.loaded = false;
    this.error = null;
    this.seen = this.loadSeen();
    filter.addEventListener('change', () => this.render());
    more.addEventListener('click', () => this.loadMore());
  }

  loadSeen() {
    try {
      return JSON.parse(window.localStorage.getItem(this.seenKey)) || {};
    } catch (err) {
      return {};
    }
  }

  markSeen(roomId, seq) {
    if (!roomId || !(seq > (this.seen[roomId] || 0))) return;
    this.seen[roomId] = seq;
    try {
      window.localStorage.setItem(this.seenKey, JSON.stringify(this.seen));
    } catch (err) {
      /* storage blocked: counts reset on reload */
    }
    const room = this.rooms.get(roomId);
    if (room && typeof room.unreadCount === 'number' && room._id === this.selectedId) room.unreadCount = 0;
    this.render();
  }

  start() {
    this.stop();
    const tick = async () => {
      await this.refresh();
      this.timer = setTimeout(tick, this.pushes ? POLL_SLOW_MS : POLL_FAST_MS);
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  async refresh() {
    try {
      const page = await this.api.get('/api/chat/rooms', { businessId: this.businessId, limit: 50 });
      for (const room of page.rooms || []) this.upsert(room);
      if (!this.loaded) this.nextCursor = page.nextCursor || null;
      this.loaded = true;
      this.error = null;
    } catch (err) {
      this.error = err.message;
    }
    this.render();
  }

  async loadMore() {
    if (!this.nextCursor) return;
    try {
      const page = await this.api.get('/api/chat/rooms', { businessId: this.businessId, limit: 50, cursor: this.nextCursor });
      for (const room of page.rooms || []) this.upsert(room);
      this.nextCursor = page.nextCursor || null;
    } catch (err) {
      this.error = err.message;
    }
    this.render();
  }

  upsert(room) {
    if (!room || !room._id) return null;
    const current = this.rooms.get(room._id);
    if (current) Object.assign(current, room);
    else this.rooms.set(room._id, { ...room });
    return this.rooms.get(room._id);
  }

  /** chat:room-created: the event's room (or `data.room`). */
  roomCreated(data) {
    this.pushes = true;
    const room = this.upsert(data && data.room ? data.room : data);
    if (!room) this.refresh();
    else this.render();
  }

  /** chat:room-updated {roomId, lastMessage, lastMessageAt, unreadCount, status, ...}. */
  roomUpdated(data) {
    this.pushes = true;
    if (!data || !data.roomId) return;
    const room = this.rooms.get(data.roomId);
    if (!room) {
      this.refresh();
      return;
    }
    for (const key of ['lastMessage', 'lastMessageAt', 'unreadCount', 'status', 'assignedTo', 'metadata', 'lastSeq', 'isActive']) {
      if (data[key] !== undefined) room[key] = data[key];
    }
    if (data.status === 'closed') room.isActive = false;
    if (data.status === 'active' || data.status === 'open') room.isActive = true;
    this.render();
  }

  /** A message of a room this dashboard follows. */
  message(message) {
    const room = this.rooms.get(message.roomId);
    if (!room) return;
    if (!room.lastSeq || message.seq >= room.lastSeq) {
      room.lastSeq = message.seq;
      room.lastMessage = message.content.slice(0, 200);
      room.lastMessageAt = message.createdAt;
    }
    this.render();
  }

  select(roomId) {
    this.selectedId = roomId;
    this.render();
  }

  unread(room) {
    if (typeof room.unreadCount === 'number') return room.unreadCount;
    return Math.max(0, (room.lastSeq || 0) - (this.seen[room._id] || 0));
  }

  visible(room) {
    const mode = this.filter.value;
    if (mode === 'open') return isOpen(room);
    if (mode === 'closed') return !isOpen(room);
    if (mode === 'guests') return Boolean(room.metadata && room.metadata.isGuest);
    return true;
  }

  render() {
    const rooms = Array.from(this.rooms.values())
      .filter((room) => this.visible(room))
      .sort((a, b) => activity(b) - activity(a));
    reconcile(this.root, rooms.map((room) => ({ key: room._id, room })),
      (item) => this.item(item.room), (el, item) => this.fill(el, item.room));
    this.more.hidden = !this.nextCursor;
    if (!rooms.length) {
      const text = this.error ? `Could not load chats: ${this.error}` : this.loaded ? 'No chats yet.' : 'Loading…';
      this.root.appendChild(h('li', { className: 'empty-list', dataset: { key: '' } }, text));
    }
  }

  item(room) {
    const button = h('button', { type: 'button', className: 'room', dataset: { roomId: room._id } });
    button.addEventListener('click', () => this.onOpen(room._id));
    const el = h('li', {}, button);
    this.fill(el, room);
    return el;
  }

  /** Refresh in place: the button keeps keyboard focus across refreshes. */
  fill(el, room) {
    const meta = room.metadata || {};
    const unread = room._id === this.selectedId ? 0 : this.unread(room);
    const name = meta.userName || room.roomName || 'Visitor';
    const button = el.firstElementChild;
    button.className = `room${unread ? ' has-unread' : ''}`;
    button.setAttribute('aria-current', room._id === this.selectedId ? 'true' : 'false');
    button.replaceChildren(
      h('span', { className: 'name' }, name, ' ', meta.isGuest
        ? h('span', { className: 'badge anonymous' }, 'Anonymous')
        : h('span', { className: 'badge customer' }, 'Customer')),
      h('span', { className: 'when' }, formatTime(room.lastMessageAt || room.createdAt)),
      h('span', { className: 'preview' }, room.lastMessage || 'No messages yet'),
      h('span', { className: 'chips' },
        isOpen(room) ? h('span', { className: 'badge open' }, 'Open') : h('span', { className: 'badge closed' }, 'Closed'),
        unread ? h('span', { className: 'badge unread', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : unread) : null));
  }
}

export function isOpen(room) {
  if (room.status) return room.status !== 'closed';
  return room.isActive !== false;
}

function activity(room) {
  return Date.parse(room.lastMessageAt || room.createdAt || 0) || 0;
}
