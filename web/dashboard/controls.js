/*
 * The open chat's header: who the visitor is (name, guest id, email, phone, the customer contact
 * once converted), the room's status and assignee, and what staff can do with it — close or
 * reopen (chat:close-room / chat:reopen-room), assign or unassign (chat:assign), and convert a
 * guest to a customer contact (POST /api/chat/rooms/{id}/convert-guest); and the page the visitor
 * is on (pages.js), and the visitor's satisfaction rating of a closed chat (chat:rate). Each answer carries the
 * changed Room, which replaces the list's copy at once; other dashboards learn it from
 * chat:room-updated.
 */

import { statusBadge, visitorBadge } from './chatlist.js';
import { visitorPages } from './pages.js';
import { displayName, visitorMarker } from './visitors.js';

/** The name the visitor gave when the room was opened (what {{visitor.name}} becomes). */
export function visitorName(room) {
  const meta = room.metadata || {};
  return meta.userName || room.roomName || 'Visitor';
}

/** "Rated 4/5 ★★★★☆": the Room's rating (of its current closure) as the header shows it; '' when none. */
export function ratingText(rating) {
  if (!rating || typeof rating.score !== 'number') return '';
  const score = Math.max(0, Math.min(5, Math.round(rating.score)));
  return `Rated ${score}/5 ${'★'.repeat(score)}${'☆'.repeat(5 - score)}`;
}

/** The visitor's email, as the header shows it; '' when none is known. */
export function visitorEmail(room) {
  const meta = room.metadata || {};
  return (meta.guestInfo || meta.customerInfo || {}).email || '';
}

export class RoomControls {
  /** say(text): show a notice over the conversation (null clears it); changed(): re-render. */
  constructor({ header, convert, conn, api, me, list, say, changed }) {
    this.header = header;
    this.convert = convert;
    this.conn = conn;
    this.api = api;
    this.me = me;
    this.list = list;
    this.say = say;
    this.changed = changed;
    this.roomId = null;
    this.convertOpen = false;
    this.pagesOpen = false; // "Recent pages" unfolded
  }

  render(room) {
    if (room._id !== this.roomId) {
      this.roomId = room._id;
      this.convertOpen = false;
      this.pagesOpen = false;
    }
    this.renderHeader(room);
    this.renderConvert(room);
  }

  renderHeader(room) {
    const focused = this.header.contains(document.activeElement) ? document.activeElement : null;
    if (focused && focused.tagName === 'INPUT') return; // never pull a field from under the typing hands
    const meta = room.metadata || {};
    const info = meta.guestInfo || meta.customerInfo || {};
    const open = room.status !== 'closed';
    const assigned = room.assignedTo || null;
    const facts = [];
    if (meta.isGuest && info.guestId) facts.push(h('span', { className: 'fact guest-id' }, `Guest id ${info.guestId}`));
    if (info.email) facts.push(h('span', { className: 'fact email' }, `Email ${info.email}`));
    if (info.phone) facts.push(h('span', { className: 'fact phone' }, `Phone ${info.phone}`));
    if (meta.customerId) {
      facts.push(h('span', { className: 'fact converted' }, `Customer contact since ${formatTime(meta.convertedAt)}`));
    }
    const rated = open ? '' : ratingText(room.rating);
    if (rated) {
      facts.push(h('span', { className: 'fact rating', title: room.rating.comment || '' }, rated,
        room.rating.comment ? ` — “${room.rating.comment}”` : ''));
    }
    if (assigned) facts.push(h('span', { className: 'fact assigned' }, `Assigned to ${assigned === this.me.userId ? 'you' : assigned}`));

    const actions = [open
      ? h('button', { type: 'button', className: 'button subtle close-room', onClick: () => this.setStatus('chat:close-room', 'Closing') }, 'Close chat')
      : h('button', { type: 'button', className: 'button subtle reopen-room', onClick: () => this.setStatus('chat:reopen-room', 'Reopening') }, 'Reopen')];
    const input = h('input', {
      type: 'text', 'aria-label': 'Staff id', value: assigned || this.me.userId, maxlength: '128', spellcheck: 'false',
    });
    actions.push(h('form', {
      className: 'assign',
      onSubmit: (event) => {
        event.preventDefault();
        const staffId = input.value.trim();
        if (staffId) this.assign(staffId);
      },
    }, input, h('button', { type: 'submit', className: 'button subtle assign-button' }, 'Assign')));
    if (assigned) {
      actions.push(h('button', { type: 'button', className: 'button subtle unassign', onClick: () => this.assign(null) }, 'Unassign'));
    }
    if (meta.isGuest && !meta.customerId) {
      actions.push(h('button', {
        type: 'button', className: 'button subtle convert-toggle', 'aria-expanded': String(this.convertOpen),
        onClick: () => {
          this.convertOpen = !this.convertOpen;
          this.changed();
        },
      }, 'Convert to customer'));
    }
    this.header.replaceChildren(
      h('div', {},
        h('h2', {}, visitorMarker(room), displayName(room), ' ', visitorBadge(meta), ' ', statusBadge(room)),
        h('div', { className: 'facts' }, facts),
        visitorPages(meta, { open: this.pagesOpen, onToggle: (open) => { this.pagesOpen = open; } })),
      h('div', { className: 'conv-actions' }, actions));
    if (focused) {
      // keep keyboard focus in the controls: the same control if it is still there, else the first
      const same = focused.className && this.header.querySelector(`button[class="${focused.className}"]`);
      const next = same || this.header.querySelector('.conv-actions button');
      if (next) next.focus();
    }
  }

  renderConvert(room) {
    const meta = room.metadata || {};
    const show = Boolean(meta.isGuest && !meta.customerId && this.convertOpen);
    this.convert.hidden = !show;
    if (!show || (this.convert.contains(document.activeElement) && document.activeElement.tagName === 'INPUT')) return;
    const info = meta.guestInfo || {};
    const email = h('input', { type: 'email', required: true, maxlength: '254', value: info.email || '' });
    const phone = h('input', { type: 'tel', maxlength: '32', value: info.phone || '', placeholder: '+44 20 7946 0958' });
    this.convert.replaceChildren(h('form', {
      onSubmit: (event) => {
        event.preventDefault();
        this.convertGuest(email.value.trim(), phone.value.trim());
      },
    },
    h('label', {}, 'Email', email),
    h('label', {}, 'Phone (optional)', phone),
    h('button', { type: 'submit', className: 'button' }, 'Convert')),
    h('p', { className: 'note' },
      'Links this conversation to the business\'s customer contact with that email (created if new); the guest\'s later visits stay linked.'));
  }

  /** The server's copy of the room after a change replaces ours. */
  applyRoom(room) {
    if (room) this.list.upsert(room);
    this.list.render();
    this.changed();
  }

  async setStatus(event, label) {
    try {
      const { room } = await this.conn.request(event, { roomId: this.roomId });
      this.say(null);
      this.applyRoom(room);
    } catch (err) {
      this.say(`${label} failed: ${err.message}`);
      this.changed();
    }
  }

  async assign(staffId) {
    try {
      const { room } = await this.conn.request('chat:assign', { roomId: this.roomId, staffId });
      this.say(null);
      this.applyRoom(room);
    } catch (err) {
      this.say(`Assigning failed: ${err.message}`);
      this.changed();
    }
  }

  async convertGuest(email, phone) {
    const path = `/api/chat/rooms/${encodeURIComponent(this.roomId)}/convert-guest`;
    try {
      const { room, contactCreated } = await this.api.post(path, phone ? { email, phone } : { email });
      this.convertOpen = false;
      this.say(contactCreated ? `New customer contact ${email}.` : `Linked to the existing customer contact ${email}.`);
      this.applyRoom(room);
    } catch (err) {
      this.say(`Converting failed: ${err.message}`);
      this.changed();
    }
  }
}
