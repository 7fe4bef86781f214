/*
 * The open chat's header: who the visitor is, the room's state, and what staff can do with it —
 * close or reopen (chat:close-room / chat:reopen-room), assign (chat:assign), convert a guest to a
 * customer (POST /api/chat/rooms/{id}/convert-guest). Each control shows only when the server has
 * the feature: `features` holds what the connect-time probe learned (false: absent), and an
 * `unknown_event` or a 404 met later turns the feature off too.
 */

import { ApiError } from './api.js';
import { isOpen } from './chatlist.js';

export class RoomControls {
  /** say(text): show a notice over the conversation (null clears it); changed(): re-render. */
  constructor({ header, convert, conn, api, me, features, list, say, changed }) {
    this.header = header;
    this.convert = convert;
    this.conn = conn;
    this.api = api;
    this.me = me;
    this.features = features;
    this.list = list;
    this.say = say;
    this.changed = changed;
    this.roomId = null;
    this.convertOpen = false;
  }

  render(room) {
    if (room._id !== this.roomId) {
      this.roomId = room._id;
      this.convertOpen = false;
    }
    this.renderHeader(room);
    this.renderConvert(room);
  }

  renderHeader(room) {
    const focused = this.header.contains(document.activeElement) ? document.activeElement : null;
    if (focused && focused.tagName === 'INPUT') return; // never pull a field from under the typing hands
    const meta = room.metadata || {};
    const info = meta.guestInfo || {};
    const open = isOpen(room);
    const assigned = room.assignedTo || meta.assignedTo || null;
    const facts = [];
    if (meta.isGuest && info.guestId) facts.push(h('span', {}, `Guest id ${info.guestId}`));
    if (info.email) facts.push(h('span', {}, `Email ${info.email}`));
    if (info.phone) facts.push(h('span', {}, `Phone ${info.phone}`));
    if (assigned) facts.push(h('span', {}, `Assigned to ${assigned}`));
    const actions = [];
    if (open && this.features.close) {
      actions.push(h('button', { type: 'button', className: 'button subtle close-room', onClick: () => this.setClosed(true) }, 'Close chat'));
    }
    if (!open && this.features.reopen) {
      actions.push(h('button', { type: 'button', className: 'button subtle reopen-room', onClick: () => this.setClosed(false) }, 'Reopen'));
    }
    if (this.features.assign) {
      const input = h('input', { type: 'text', 'aria-label': 'Staff id', value: assigned || this.me.userId, maxlength: '128' });
      actions.push(h('form', {
        className: 'assign',
        onSubmit: (event) => {
          event.preventDefault();
          this.assign(input.value.trim());
        },
      }, input, h('button', { type: 'submit', className: 'button subtle' }, 'Assign')));
    }
    if (meta.isGuest && this.features.convert !== false) {
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
        h('h2', {}, meta.userName || room.roomName || 'Visitor', ' ',
          meta.isGuest ? h('span', { className: 'badge anonymous' }, 'Anonymous') : h('span', { className: 'badge customer' }, 'Customer'), ' ',
          open ? h('span', { className: 'badge open' }, 'Open') : h('span', { className: 'badge closed' }, 'Closed')),
        h('div', { className: 'facts' }, facts)),
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
    const show = Boolean(meta.isGuest && this.convertOpen && this.features.convert !== false);
    this.convert.hidden = !show;
    if (!show || (this.convert.contains(document.activeElement) && document.activeElement.tagName === 'INPUT')) return;
    const info = meta.guestInfo || {};
    const email = h('input', { type: 'email', required: true, maxlength: '254', value: info.email || '' });
    const phone = h('input', { type: 'tel', maxlength: '32', value: info.phone || '' });
    this.convert.replaceChildren(h('form', {
      onSubmit: (event) => {
        event.preventDefault();
        this.convertGuest(email.value.trim(), phone.value.trim());
      },
    },
    h('label', {}, 'Email', email),
    h('label', {}, 'Phone (optional)', phone),
    h('button', { type: 'submit', className: 'button' }, 'Convert')),
    h('p', { className: 'note' }, 'The guest becomes a customer with these contact details; the conversation stays as it is.'));
  }

  /** Send a room event; false (and a notice) when it failed. */
  async roomEvent(event, data, label, feature) {
    try {
      await this.conn.request(event, data);
      this.say(null);
      return true;
    } catch (err) {
      if (err.code === 'unknown_event') {
        this.features[feature] = false;
        this.say(`${label} is not supported by this server yet.`);
      } else {
        this.say(`${label} failed: ${err.message}`);
      }
      return false;
    } finally {
      this.changed();
    }
  }

  async setClosed(closed) {
    const roomId = this.roomId;
    const ok = await this.roomEvent(closed ? 'chat:close-room' : 'chat:reopen-room', { roomId },
      closed ? 'Closing' : 'Reopening', closed ? 'close' : 'reopen');
    const room = this.list.rooms.get(roomId);
    if (ok && room) {
      room.isActive = !closed;
      if (room.status) room.status = closed ? 'closed' : 'active';
      this.list.render();
      this.changed();
    }
  }

  async assign(staffId) {
    if (!staffId) return;
    const roomId = this.roomId;
    const ok = await this.roomEvent('chat:assign', { roomId, staffId }, 'Assigning', 'assign');
    const room = this.list.rooms.get(roomId);
    if (ok && room) {
      room.assignedTo = staffId;
      this.list.render();
      this.changed();
    }
  }

  async convertGuest(email, phone) {
    const roomId = this.roomId;
    try {
      const data = await this.api.post(`/api/chat/rooms/${encodeURIComponent(roomId)}/convert-guest`, phone ? { email, phone } : { email });
      const room = data && (data.room || (data._id ? data : null));
      if (room) this.list.upsert(room);
      this.convertOpen = false;
      this.say(null);
      this.list.render();
    } catch (err) {
      if (err instanceof ApiError && err.missingRoute) {
        this.features.convert = false;
        this.say('Converting guests is not supported by this server yet.');
      } else {
        this.say(`Converting failed: ${err.message}`);
      }
    }
    this.changed();
  }
}
