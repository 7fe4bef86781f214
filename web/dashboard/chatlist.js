/*
 * The live chat list: rooms of the business from GET /api/chat/rooms, then kept current by the
 * server's business notifications — chat:room-created (a new room), chat:room-updated (a
 * message, unread count, status, assignment, the visitor's details, a conversion) and
 * chat:room-deleted (the visitor's data was erased) — which every
 * staff connection receives from whichever instance made the change. The list is read again
 * after a reconnect (notifications are not replayed) and, as a safety net for a notification
 * lost in a broker outage, once a minute.
 */

import { displayName, visitorMarker } from './visitors.js';

const SAFETY_REFRESH_MS = 60000;
const ROW_FIELDS = ['lastMessage', 'lastMessageAt', 'lastSeq', 'unreadCount', 'status', 'assignedTo', 'roomName', 'tags', 'metadata', 'rating'];

export class ChatList {
  /**
   * me: the signed-in staff member's user id (for "Assigned to me"); onUnread(total): the unread
   * messages of the chats not open, after every change; onActivity(room, isNew): a new room, or
   * a room whose unread count grew (a visitor wrote).
   */
  constructor({ root, filter, more, api, businessId, me, onOpen, onUnread = () => {}, onActivity = () => {} }) {
    this.root = root;
    this.filter = filter;
    this.more = more;
    this.api = api;
    this.businessId = businessId;
    this.me = me;
    this.onOpen = onOpen;
    this.onUnread = onUnread;
    this.onActivity = onActivity;
    this.rooms = new Map();
    this.selectedId = null;
    this.nextCursor = null;
    this.timer = null;
    this.loaded = false;
    this.error = null;
    this.fetching = new Set(); // room ids being fetched after an update for a room not listed
    this.deleted = new Set(); // erased rooms: a list page read before the erase must not bring them back
    filter.addEventListener('change', () => this.render());
    more.addEventListener('click', () => this.loadMore());
  }

  start() {
    this.stop();
    const tick = async () => {
      await this.refresh();
      this.timer = setTimeout(tick, SAFETY_REFRESH_MS);
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
    if (!room || !room._id || this.deleted.has(room._id)) return null;
    const current = this.rooms.get(room._id);
    if (current) Object.assign(current, room);
    else this.rooms.set(room._id, { ...room });
    return this.rooms.get(room._id);
  }

  /** chat:room-created: data is the Room. */
  roomCreated(room) {
    const isNew = Boolean(room && room._id && !this.rooms.has(room._id));
    const added = this.upsert(room);
    if (!added) return;
    this.render();
    if (isNew) this.onActivity(added, true);
  }

  /** chat:room-updated {roomId, lastMessage, lastMessageAt, lastSeq, unreadCount, status, assignedTo, roomName, tags, metadata, rating}. */
  roomUpdated(data) {
    if (!data || !data.roomId) return;
    const room = this.rooms.get(data.roomId);
    if (!room) {
      this.fetchRoom(data.roomId); // older than the pages loaded: it moves to the top now
      return;
    }
    const unreadBefore = room.unreadCount || 0;
    for (const key of ROW_FIELDS) {
      if (data[key] !== undefined) room[key] = data[key];
    }
    this.render();
    if ((room.unreadCount || 0) > unreadBefore) this.onActivity(room, false);
  }

  /** chat:room-deleted {roomId}: the room and its messages were erased. */
  roomDeleted(roomId) {
    if (!roomId) return;
    this.deleted.add(roomId);
    this.rooms.delete(roomId);
    if (this.selectedId === roomId) this.selectedId = null;
    this.render();
  }

  async fetchRoom(roomId) {
    if (this.fetching.has(roomId)) return;
    this.fetching.add(roomId);
    try {
      const { room } = await this.api.get(`/api/chat/rooms/${encodeURIComponent(roomId)}`);
      this.upsert(room);
      this.render();
    } catch (err) {
      /* gone or not ours: the safety refresh tells */
    } finally {
      this.fetching.delete(roomId);
    }
  }

  /** A message of a room this dashboard follows (its chat:room-updated may come a moment later). */
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

  visible(room) {
    const mode = this.filter.value;
    if (mode === 'open') return room.status !== 'closed';
    if (mode === 'closed') return room.status === 'closed';
    if (mode === 'guests') return Boolean(room.metadata && room.metadata.isGuest);
    if (mode === 'mine') return room.assignedTo === this.me;
    return true;
  }

  render() {
    const rooms = Array.from(this.rooms.values())
      .filter((room) => this.visible(room))
      .sort((a, b) => activity(b) - activity(a));
    reconcile(this.root, rooms.map((room) => ({ key: room._id, room })),
      (item) => this.item(item.room), (el, item) => this.fill(el, item.room));
    this.more.hidden = !this.nextCursor;
    let unread = 0;
    for (const room of this.rooms.values()) if (room._id !== this.selectedId) unread += room.unreadCount || 0;
    this.onUnread(unread);
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
    const unread = room._id === this.selectedId ? 0 : room.unreadCount || 0;
    const name = displayName(room);
    const button = el.firstElementChild;
    button.className = `room${unread ? ' has-unread' : ''}`;
    button.setAttribute('aria-current', room._id === this.selectedId ? 'true' : 'false');
    button.replaceChildren(
      h('span', { className: 'name' }, visitorMarker(room), name, ' ', visitorBadge(meta)),
      h('span', { className: 'when' }, formatTime(room.lastMessageAt || room.createdAt)),
      h('span', { className: 'preview' }, room.lastMessage || 'No messages yet'),
      h('span', { className: 'chips' },
        statusBadge(room),
        unread ? h('span', { className: 'badge unread', 'aria-label': `${unread} unread` }, unread > 99 ? '99+' : unread) : null));
  }
}

/** Anonymous (a guest), Converted (a guest staff turned into a customer contact), Customer. */
export function visitorBadge(meta) {
  if (!meta.isGuest) return h('span', { className: 'badge customer' }, 'Customer');
  if (meta.customerId) return h('span', { className: 'badge converted', title: 'Converted to a customer contact' }, 'Converted');
  return h('span', { className: 'badge anonymous' }, 'Anonymous');
}

export function statusBadge(room) {
  return room.status === 'closed'
    ? h('span', { className: 'badge closed' }, 'Closed')
    : h('span', { className: 'badge open' }, 'Open');
}

function activity(room) {
  return Date.parse(room.lastMessageAt || room.createdAt || 0) || 0;
}
