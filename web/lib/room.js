/*
 * One room's timeline on a client (protocol.md §9): messages kept by `_id` and shown by `seq`, so
 * a message delivered twice (a join reply and a push, a resend) is shown once; a resume after a
 * reconnect (join with afterSeq, then history until hasMore is false) so nothing is missed; older
 * pages on demand; and an outbox that sends in order and retries unacknowledged messages with
 * the same clientMsgId, so the server stores each at most once.
 */

// answers after which resending the same message cannot succeed
const PERMANENT_SEND_ERRORS = new Set([
  'invalid_payload', 'too_large', 'forbidden', 'not_found', 'auth_invalid', 'unknown_event', 'limit_reached',
]);
const MAX_EARLY_MESSAGES = 500;

class RoomSync {
  /**
   * joinData: () => the chat:join-room payload ({businessId, userName} or {roomId})
   * onChange: () => called after anything shown changed
   * onRoom: (room) => called with the room object of every join
   * outbox, saveOutbox: pending sends restored from / persisted to storage (optional)
   */
  constructor(conn, { joinData, onChange, onRoom, outbox, saveOutbox, pageSize }) {
    this.conn = conn;
    this.joinData = joinData;
    this.onChange = onChange || (() => {});
    this.onRoom = onRoom || (() => {});
    this.saveOutbox = saveOutbox || (() => {});
    this.pageSize = pageSize || 0;
    this.room = null;
    this.byId = new Map();
    this.seqs = new Set();
    this.sorted = null; // cache of messages in seq order
    this.early = []; // pushes that arrived before the first join answer named the room
    this.hasOlder = false;
    this.loadingOlder = false;
    this.synced = false;
    this.syncing = null;
    this.flushing = false;
    this.retryTimer = null;
    this.retryAttempt = 0;
    this.outbox = (outbox || [])
      .filter((item) => item && item.clientMsgId && typeof item.content === 'string')
      .map((item) => ({ ...item, state: item.state === 'failed' ? 'failed' : 'pending' }));
  }

  get roomId() {
    return this.room ? this.room._id : null;
  }

  get messages() {
    if (!this.sorted) this.sorted = Array.from(this.byId.values()).sort((a, b) => a.seq - b.seq);
    return this.sorted;
  }

  get lastSeq() {
    const list = this.messages;
    return list.length ? list[list.length - 1].seq : 0;
  }

  get firstSeq() {
    const list = this.messages;
    return list.length ? list[0].seq : 0;
  }

  /** The highest seq below which nothing is missing, counting from the oldest message held. */
  contiguousHead() {
    const list = this.messages;
    if (!list.length) return 0;
    let head = list[0].seq;
    while (this.seqs.has(head + 1)) head += 1;
    return head;
  }

  /** Forget everything shown (a new guest, another room); the outbox is kept. */
  reset() {
    this.room = null;
    this.byId.clear();
    this.seqs.clear();
    this.sorted = null;
    this.early = [];
    this.hasOlder = false;
    this.synced = false;
    this.onChange();
  }

  /** A chat:new-message or chat:faq-response push. */
  receive(message) {
    if (!message || !message.roomId) return;
    if (!this.room) {
      if (this.early.length < MAX_EARLY_MESSAGES) this.early.push(message);
      return;
    }
    this.merge([message]);
  }

  /** Add messages not held yet; returns how many were new. Confirms outbox items by clientMsgId. */
  merge(messages) {
    let added = 0;
    let confirmed = false;
    for (const message of messages || []) {
      if (!message || typeof message._id !== 'string' || typeof message.seq !== 'number') continue;
      if (this.room && message.roomId !== this.room._id) continue;
      if (message.clientMsgId) confirmed = this.removeFromOutbox(message.clientMsgId) || confirmed;
      if (this.byId.has(message._id)) continue;
      const copy = { ...message };
      delete copy.duplicate;
      this.byId.set(copy._id, copy);
      this.seqs.add(copy.seq);
      added += 1;
    }
    if (added) this.sorted = null;
    if (added || confirmed) this.onChange();
    return added;
  }

  removeFromOutbox(clientMsgId) {
    const index = this.outbox.findIndex((item) => item.clientMsgId === clientMsgId);
    if (index < 0) return false;
    this.outbox.splice(index, 1);
    this.persistOutbox();
    return true;
  }

  persistOutbox() {
    this.saveOutbox(this.outbox.map(({ clientMsgId, content, state, error, createdAt }) => ({
      clientMsgId, content, state, error, createdAt,
    })));
  }

  /** Join (first time) or resume (after a reconnect); one at a time. */
  sync() {
    if (!this.syncing) {
      this.syncing = this.doSync().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  async doSync() {
    this.synced = false;
    const payload = { ...this.joinData() };
    const resuming = this.room !== null && this.byId.size > 0;
    if (resuming) payload.afterSeq = this.contiguousHead();
    if (this.pageSize) payload.limit = this.pageSize;
    const joined = await this.conn.request('chat:join-room', payload);
    const room = joined.room;
    let fresh = !resuming;
    if (this.room && room._id !== this.room._id) {
      this.reset();
      fresh = true;
    }
    this.room = room;
    this.onRoom(room);
    this.merge(joined.messages);
    const early = this.early;
    this.early = [];
    this.merge(early);
    if (fresh) this.hasOlder = Boolean(joined.hasMore);
    // after a resume the reply may be one page of several: page forward to the head
    let more = !fresh && Boolean(joined.hasMore);
    while (more) {
      const page = await this.conn.request('chat:history', { roomId: room._id, afterSeq: this.contiguousHead() });
      this.merge(page.messages);
      more = Boolean(page.hasMore) && (page.messages || []).length > 0;
    }
    this.synced = true;
    this.onChange();
    this.flush();
  }

  /** Fetch the page before the oldest message held; returns how many messages were added. */
  async loadOlder(limit) {
    if (!this.hasOlder || this.loadingOlder || !this.room || !this.conn.ready) return 0;
    this.loadingOlder = true;
    try {
      const page = await this.conn.request('chat:history', {
        roomId: this.room._id, beforeSeq: this.firstSeq, limit: limit || 30,
      });
      this.hasOlder = Boolean(page.hasMore);
      return this.merge(page.messages);
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Queue a message: shown as pending at once, sent when the room is synced. */
  enqueue(content) {
    const item = { clientMsgId: newClientMsgId(), content, state: 'pending', error: null, createdAt: new Date().toISOString() };
    this.outbox.push(item);
    this.persistOutbox();
    this.onChange();
    this.flush();
    return item;
  }

  retry(clientMsgId) {
    const item = this.outbox.find((o) => o.clientMsgId === clientMsgId);
    if (!item) return;
    item.state = 'pending';
    item.error = null;
    this.persistOutbox();
    this.onChange();
    this.flush();
  }

  discard(clientMsgId) {
    if (this.removeFromOutbox(clientMsgId)) this.onChange();
  }

  get hasPending() {
    return this.outbox.some((item) => item.state === 'pending');
  }

  /** Send pending messages in order. Stops at a transient failure so the order is kept. */
  async flush() {
    if (this.flushing || !this.synced || !this.room || !this.conn.ready) return;
    this.flushing = true;
    try {
      for (;;) {
        const item = this.outbox.find((o) => o.state === 'pending');
        if (!item) break;
        if (item.notBefore && item.notBefore > Date.now()) {
          this.retryLater(item.notBefore - Date.now());
          break;
        }
        let stored;
        try {
          stored = await this.conn.request('chat:send-message', {
            roomId: this.room._id, content: item.content, clientMsgId: item.clientMsgId,
          });
        } catch (err) {
          if (this.sendFailed(item, err)) continue;
          break;
        }
        this.retryAttempt = 0;
        this.merge([stored]);
        this.removeFromOutbox(item.clientMsgId);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** True when flushing may go on with the next message. */
  sendFailed(item, err) {
    if (PERMANENT_SEND_ERRORS.has(err.code)) {
      item.state = 'failed';
      item.error = err.message;
      this.persistOutbox();
      this.onChange();
      return true;
    }
    if (err.code === 'disconnected' || err.code === 'timeout') return false; // the next sync flushes
    if (err.code === 'rate_limited') {
      item.notBefore = Date.now() + (err.retryAfterMs || 5000);
      this.retryLater(err.retryAfterMs || 5000);
      return false;
    }
    // unavailable, internal: nothing or maybe something was stored; the same clientMsgId is safe
    this.retryLater(backoffDelay(this.retryAttempt++, 1000, 30000));
    return false;
  }

  retryLater(delayMs) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), Math.max(0, delayMs));
  }
}

/**
 * This side's own typing indicator, for the widget and the dashboard alike: while keys are
 * pressed, chat:typing {isTyping: true} at most every refreshMs; {isTyping: false} once idle
 * for idleMs, or at once on stop() (sent, blurred, another room opened). roomIdOf() names the
 * room at the moment of sending.
 */
class TypingSignal {
  constructor(conn, roomIdOf, { refreshMs = 3000, idleMs = 4000 } = {}) {
    this.conn = conn;
    this.roomIdOf = roomIdOf;
    this.refreshMs = refreshMs;
    this.idleMs = idleMs;
    this.sent = false;
    this.lastSentAt = 0;
    this.idleTimer = null;
  }

  typed() {
    const now = Date.now();
    if (!this.sent || now - this.lastSentAt > this.refreshMs) {
      this.conn.send('chat:typing', { roomId: this.roomIdOf(), isTyping: true });
      this.sent = true;
      this.lastSentAt = now;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
  }

  stop() {
    clearTimeout(this.idleTimer);
    if (!this.sent) return;
    this.sent = false;
    const roomId = this.roomIdOf();
    if (roomId) this.conn.send('chat:typing', { roomId, isTyping: false });
  }
}
