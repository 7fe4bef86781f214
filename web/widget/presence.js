/*
 * Whether anyone is there: the widget says "Online" only while a staff member of the business is
 * connected (chat:presence, answered from the server's staff presence on every instance), and its
 * away text otherwise. Asked when the connection is ready and when the panel opens, then every
 * 30 s while it stays open: one small frame per open widget, nothing while it is closed.
 */

const PRESENCE_EVERY_MS = 30000;

class StaffPresence {
  /** onChange(): the answer changed what the status line should say. */
  constructor({ conn, businessId, onChange }) {
    this.conn = conn;
    this.businessId = businessId;
    this.onChange = onChange;
    this.online = null; // unknown until answered
    this.timer = null;
  }

  /** Ask now; ``keepAsking``: again every 30 s (while the panel is open). */
  async check(keepAsking) {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.conn.ready) return;
    try {
      const { staffOnline } = await this.conn.request('chat:presence', { businessId: this.businessId });
      this.online = Boolean(staffOnline);
    } catch (err) {
      this.online = null; // unknown: the connection's own state shows
    }
    this.onChange();
    if (keepAsking) this.timer = setTimeout(() => this.check(true), PRESENCE_EVERY_MS);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}
