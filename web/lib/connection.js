/*
 * The protocol client shared by the widget and the dashboard (protocol.md §2, §3, §7, §9).
 *
 * One WebSocket to /realtime speaking plain JSON frames: requests carry an `ack` number and get a
 * promise settled by the matching ack frame; pushes are delivered to listeners by event name. The
 * first frame (guest:registered or user:authenticated) makes the connection ready. Any close other
 * than 4401 is followed by a reconnect with exponential backoff and jitter; 4401 is terminal.
 */

const CLOSE_AUTH_INVALID = 4401;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_ACK_TIMEOUT = 4000; // ours: we gave up on a connection that stopped answering

class ChatError extends Error {
  /** code: a protocol.md §6 code, or 'disconnected' / 'timeout' for requests that got no answer. */
  constructor(code, message, details) {
    super(message || code);
    this.name = 'ChatError';
    this.code = code;
    this.field = details && details.field;
    this.retryAfterMs = details && details.retryAfterMs;
  }
}

/** A random UUID v4; crypto.randomUUID() exists only on https pages, getRandomValues everywhere. */
function newClientMsgId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Delay before reconnect attempt `attempt` (0-based): base doubling up to max, then ±50 % jitter. */
function backoffDelay(attempt, baseMs, maxMs, random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + (random || Math.random)()));
}

class ChatConnection {
  /**
   * url: ws(s)://host/realtime
   * credentials: () => ({sessionId}) for a guest, ({token}) for staff; read at every (re)connect
   */
  constructor({ url, credentials, requestTimeoutMs = 10000, baseDelayMs = 500, maxDelayMs = 30000 }) {
    this.url = url;
    this.credentials = credentials || (() => ({}));
    this.requestTimeoutMs = requestTimeoutMs;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.listeners = new Map();
    this.pending = new Map(); // ack -> {resolve, reject, timer}
    this.nextAck = 1;
    this.ws = null;
    this.ready = false;
    this.stopped = true;
    this.attempt = 0;
    this.retryTimer = null;
    this.everReady = false;
    this.state = 'idle'; // idle | connecting | open | reconnecting | closed | refused
    this.identity = null; // data of the first frame, plus `event`
    this.lastError = null;
    this.onOnline = () => this.reconnectNow();
  }

  /** Listen to a push event, or to 'ready', 'state', 'disconnected', 'refused', 'error'. */
  on(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
    return () => this.listeners.get(event).delete(listener);
  }

  emitLocal(event, data) {
    for (const listener of Array.from(this.listeners.get(event) || [])) {
      try {
        listener(data);
      } catch (err) {
        console.error('chatserver: listener for', event, 'failed', err);
      }
    }
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    if (ws) {
      this.closed(ws, 1000);
      ws.close(1000);
    }
    this.setState('closed');
  }

  /** Skip the backoff wait (the browser came back online, the user pressed "retry"). */
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.open();
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emitLocal('state', state);
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(this.credentials() || {})) {
      if (value) query.set(key, value);
    }
    const qs = query.toString();
    this.setState(this.everReady ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(qs ? `${this.url}?${qs}` : this.url);
    } catch (err) {
      console.error('chatserver: cannot open a WebSocket to', this.url, err);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (event) => {
      if (this.ws === ws) this.receive(event.data);
    };
    ws.onclose = (event) => this.closed(ws, event.code);
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (err) {
      return;
    }
    if (!frame || typeof frame.event !== 'string') return;
    if (frame.event === 'ack') {
      this.settle(frame);
      return;
    }
    const data = frame.data || {};
    if (!this.ready) {
      if (frame.event === 'guest:registered' || frame.event === 'user:authenticated') {
        this.ready = true;
        this.everReady = true;
        this.attempt = 0;
        this.identity = { event: frame.event, ...data };
        this.setState('open');
        this.emitLocal('ready', this.identity);
      } else if (frame.event === 'error') {
        this.lastError = data;
        this.emitLocal('error', data);
      }
      return;
    }
    this.emitLocal(frame.event, data);
  }

  settle(frame) {
    const entry = this.pending.get(frame.ack);
    if (!entry) return;
    this.pending.delete(frame.ack);
    clearTimeout(entry.timer);
    if (frame.error) entry.reject(new ChatError(frame.error.code, frame.error.message, frame.error));
    else entry.resolve(frame.data || {});
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    ws.onmessage = null;
    ws.onclose = null;
    const pending = Array.from(this.pending.values());
    this.pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.reject(new ChatError('disconnected', 'the connection closed before the server answered'));
    }
    this.emitLocal('disconnected', { code });
    if (code === CLOSE_AUTH_INVALID) {
      this.stopped = true;
      this.setState('refused');
      this.emitLocal('refused', this.lastError || { code: 'auth_invalid', message: 'authentication failed' });
      return;
    }
    if (this.stopped) return;
    if (code === CLOSE_GOING_AWAY) this.attempt = 0; // a deploy: another instance answers at once
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt, this.baseDelayMs, this.maxDelayMs);
    this.attempt += 1;
    this.setState('reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Send with an ack number; resolves with the ack's data, rejects with a ChatError. */
  request(event, data, options) {
    const timeoutMs = (options && options.timeoutMs) || this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!this.ready || !ws || ws.readyState !== WebSocket.OPEN) {
        reject(new ChatError('disconnected', 'not connected'));
        return;
      }
      const ack = this.nextAck++;
      const timer = setTimeout(() => {
        this.pending.delete(ack);
        reject(new ChatError('timeout', `no answer to ${event}`));
        this.drop(ws); // an unanswered request means a dead connection more often than a slow server
      }, timeoutMs);
      this.pending.set(ack, { resolve, reject, timer });
      ws.send(JSON.stringify({ event, data: data || {}, ack }));
    });
  }

  /** Send without an ack (typing); failures come back as 'error' frames. False when offline. */
  send(event, data) {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ event, data: data || {} }));
    return true;
  }

  drop(ws) {
    if (ws !== this.ws) return;
    this.closed(ws, CLOSE_ACK_TIMEOUT);
    ws.close(CLOSE_ACK_TIMEOUT, 'ack timeout');
  }
}

