/*
 * Staff notice what they are not looking at: the unread total in the tab's title and as a badge
 * on its icon, always; and, once a staff member turns alerts on, a short sound and a desktop
 * notification for a new conversation or a visitor's message in a chat that is not on screen
 * (another chat is open, or the tab is hidden). Browsers allow the notification permission to
 * be asked only from a click, so it is asked when alerts are turned on; the choice is kept in
 * localStorage, per browser. A notification's click opens its chat.
 */

const ALERTS_KEY = 'chatserver:dashboard:alerts';
const SOUND_GAP_MS = 1500; // a burst of messages plays one sound
const ICON_SIZE = 32;

export class StaffNotices {
  /** toggle: the button that turns alerts on and off; onOpen(roomId): show that chat. */
  constructor({ toggle, onOpen }) {
    this.toggle = toggle;
    this.onOpen = onOpen;
    this.baseTitle = document.title;
    this.enabled = readSetting() === 'on';
    this.lastSound = 0;
    this.total = -1;
    this.audio = null;
    toggle.addEventListener('click', () => this.setEnabled(!this.enabled));
    this.renderToggle();
    this.unread(0);
  }

  async setEnabled(on) {
    this.enabled = on;
    writeSetting(on ? 'on' : 'off');
    this.renderToggle();
    if (on && 'Notification' in window && Notification.permission === 'default') {
      try {
        await Notification.requestPermission();
      } catch (err) {
        /* an old browser without the promise form: sound and title still work */
      }
      this.renderToggle();
    }
  }

  renderToggle() {
    const blocked = this.enabled && 'Notification' in window && Notification.permission === 'denied';
    this.toggle.setAttribute('aria-pressed', this.enabled ? 'true' : 'false');
    this.toggle.textContent = this.enabled ? 'Alerts on' : 'Alerts off';
    this.toggle.title = blocked
      ? 'Sound on; desktop notifications are blocked in this browser\'s site settings'
      : this.enabled ? 'Sound and desktop notifications for chats not on screen' : 'Turn on sound and desktop notifications';
  }

  /** The unread messages of the chats not on screen: the title's "(3)" and the icon's badge. */
  unread(total) {
    if (total === this.total) return;
    this.total = total;
    const shown = total > 99 ? '99+' : String(total);
    document.title = total ? `(${shown}) ${this.baseTitle}` : this.baseTitle;
    const link = document.querySelector('link[rel="icon"]');
    if (link) {
      link.href = drawIcon(total ? shown : '');
      link.dataset.unread = String(total);
    }
  }

  /** A new conversation or a visitor's message nobody is looking at. */
  alert({ title, body, roomId }) {
    if (!this.enabled) return;
    this.sound();
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const note = new Notification(title, { body, tag: roomId });
      note.onclick = () => {
        window.focus();
        this.onOpen(roomId);
        note.close();
      };
    } catch (err) {
      /* some browsers allow notifications only from a service worker: the sound still played */
    }
  }

  sound() {
    const now = Date.now();
    if (now - this.lastSound < SOUND_GAP_MS) return;
    this.lastSound = now;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      this.audio = this.audio || new Context();
      const ctx = this.audio;
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.25);
    } catch (err) {
      /* audio unavailable: the notification and the title still tell */
    }
  }
}

/** The tab's icon: a speech bubble, with the unread count on a red badge when there is one. */
function drawIcon(label) {
  const canvas = document.createElement('canvas');
  canvas.width = ICON_SIZE;
  canvas.height = ICON_SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return 'data:,';
  ctx.fillStyle = '#2563eb';
  ctx.beginPath();
  ctx.arc(14, 14, 12, 0, 2 * Math.PI);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(6, 22);
  ctx.lineTo(4, 30);
  ctx.lineTo(13, 25);
  ctx.fill();
  if (label) {
    ctx.fillStyle = '#dc2626';
    ctx.beginPath();
    ctx.arc(23, 9, 9, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#fff';
    ctx.font = `bold ${label.length > 2 ? 9 : 12}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(label, 23, 10);
  }
  return canvas.toDataURL('image/png');
}

function readSetting() {
  try {
    return window.localStorage.getItem(ALERTS_KEY);
  } catch (err) {
    return null; // storage disabled: alerts start off
  }
}

function writeSetting(value) {
  try {
    window.localStorage.setItem(ALERTS_KEY, value);
  } catch (err) {
    /* storage disabled: the choice lasts for this page */
  }
}
