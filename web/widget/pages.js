/*
 * The visitor's current page, for staff (chat:page-view, protocol.md §4): the page's address and
 * title are sent once the room exists (every join, so a new connection tells it again) and on
 * every navigation of a single-page site: history.pushState/replaceState (wrapped), popstate,
 * hashchange, and a change of the document's title (routers often set it just after pushState).
 *
 * At most one a second, as the server allows: a change within the second is sent once the second
 * has passed, and only the newest page goes then; one refused as too early (the server counts
 * from when it handled the last) goes again when the server says. A page sent is not sent again.
 * data-track-pages="false" on the script tag turns all of this off (nothing is wrapped).
 */

const PAGE_VIEW_INTERVAL_MS = 1000;
const PAGE_SETTLE_MS = 150; // after a navigation, let the site set its new title first

class PageTracker {
  /** roomIdOf: () => the widget's room id, or null before the room exists. */
  constructor(conn, roomIdOf) {
    this.conn = conn;
    this.roomIdOf = roomIdOf;
    this.watching = false;
    this.lastSentAt = 0;
    this.sentKey = null;
    this.timer = null;
    this.inFlight = false;
  }

  /** The room was joined (first time or again on a new connection): tell it the page. */
  roomReady() {
    this.sentKey = null;
    if (!this.watching) this.watch();
    this.changed();
  }

  watch() {
    this.watching = true;
    const tracker = this;
    for (const name of ['pushState', 'replaceState']) {
      const original = window.history[name];
      if (typeof original !== 'function') continue;
      window.history[name] = function trackedHistoryChange(...args) {
        const result = original.apply(this, args);
        tracker.changed();
        return result;
      };
    }
    window.addEventListener('popstate', () => this.changed());
    window.addEventListener('hashchange', () => this.changed());
    if (typeof MutationObserver === 'function' && document.head) {
      new MutationObserver(() => this.changed()).observe(document.head, {
        childList: true, subtree: true, characterData: true,
      });
    }
  }

  /** Something may have changed: send the newest page as soon as the rate allows. */
  changed() {
    if (this.timer) return; // already due: it will read the page as it is then
    const wait = Math.max(PAGE_SETTLE_MS, this.lastSentAt + PAGE_VIEW_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send();
    }, wait);
  }

  send() {
    const roomId = this.roomIdOf();
    const url = window.location.href;
    if (this.inFlight || !roomId || !this.conn.ready || !/^https?:/i.test(url)) return;
    const title = (document.title || '').trim().slice(0, 200);
    const key = `${roomId}\n${url}\n${title}`;
    if (key === this.sentKey) return;
    const data = { roomId, url: url.slice(0, 2048) };
    if (title) data.title = title;
    this.inFlight = true;
    this.lastSentAt = Date.now();
    this.conn.request('chat:page-view', data).then(() => {
      this.sentKey = key;
    }, (err) => {
      if (err.code === 'rate_limited') {
        // the server counts from when it handled the last one: wait what it says, then the newest page
        this.lastSentAt = Date.now() - PAGE_VIEW_INTERVAL_MS + (err.retryAfterMs || PAGE_VIEW_INTERVAL_MS);
      } else if (err.code !== 'disconnected' && err.code !== 'timeout' && err.code !== 'unavailable') {
        this.sentKey = key; // refused for good (not an http page, no room): not again
      } // offline: the next join sends the page again (roomReady)
    }).finally(() => {
      this.inFlight = false;
      if (this.conn.ready) this.changed(); // the page may have moved on while this was on its way
    });
  }
}
