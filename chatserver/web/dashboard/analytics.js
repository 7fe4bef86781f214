/*
 * Analytics: conversations and guest-to-customer conversion over a date range, as totals and a
 * chart. Numbers come from GET /api/chat/analytics?businessId=&from=&to= where the server has it;
 * otherwise they are computed here from the room list (GET /api/chat/rooms, all pages), and the
 * view says so. Conversion, computed here: a guest conversation whose visitor left an email or
 * phone or was converted to a customer.
 */

import { ApiError } from './api.js';
import { conversationsChart } from './chart.js';

const DAY_MS = 86400000;
const MAX_ROOM_PAGES = 20;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function days(from, to) {
  const out = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(isoDay(new Date(t)));
  return out;
}

function number(...values) {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return 0;
}

function rateOf(value, conversions, total) {
  if (typeof value === 'number' && Number.isFinite(value)) return value > 1 ? value / 100 : value;
  return total ? conversions / total : null;
}

/** The server's answer, in whichever of the likely shapes it comes, as {days, totals}. */
export function normalizeAnalytics(body, from, to) {
  const series = body.series || body.daily || body.days || body.buckets || body.timeline || [];
  const byDay = new Map();
  for (const point of series) {
    const label = String(point.date || point.day || point.bucket || point.period || point.t || '').slice(0, 10);
    if (!label) continue;
    const conversations = number(point.conversations, point.rooms, point.total, point.count);
    const guests = number(point.guestConversations, point.guests, point.anonymous, conversations);
    const conversions = number(point.conversions, point.converted);
    byDay.set(label, { label, conversations, conversions, rate: rateOf(point.conversionRate ?? point.rate, conversions, guests) });
  }
  const list = days(from, to).map((label) => byDay.get(label) || { label, conversations: 0, conversions: 0, rate: null });
  const totals = body.totals || body.summary || body;
  const conversations = number(totals.conversations, totals.totalConversations, totals.rooms, sum(list, 'conversations'));
  const guests = number(totals.guestConversations, totals.anonymousConversations, totals.guests);
  const conversions = number(totals.conversions, totals.convertedGuests, totals.converted, sum(list, 'conversions'));
  const rate = rateOf(totals.conversionRate ?? totals.rate, conversions, guests || conversations);
  return { days: list, totals: { conversations, guests, conversions, rate } };
}

function sum(list, key) {
  return list.reduce((total, item) => total + (item[key] || 0), 0);
}

/** The same numbers from rooms: created per day, guest rooms, guest rooms with contact details. */
export function analyticsFromRooms(rooms, from, to) {
  const byDay = new Map(days(from, to).map((label) => [label, { label, conversations: 0, guests: 0, conversions: 0 }]));
  for (const room of rooms) {
    const day = byDay.get(String(room.createdAt || '').slice(0, 10));
    if (!day) continue;
    day.conversations += 1;
    const meta = room.metadata || {};
    const wasGuest = meta.isGuest || (room.tags || []).includes('anonymous');
    if (!wasGuest) continue;
    day.guests += 1;
    const info = meta.guestInfo || {};
    if (!meta.isGuest || meta.convertedAt || info.email || info.phone) day.conversions += 1;
  }
  const list = Array.from(byDay.values()).map((d) => ({ ...d, rate: d.guests ? d.conversions / d.guests : null }));
  const guests = sum(list, 'guests');
  const conversions = sum(list, 'conversions');
  return {
    days: list,
    totals: { conversations: sum(list, 'conversations'), guests, conversions, rate: guests ? conversions / guests : null },
  };
}

export class AnalyticsView {
  constructor({ root, api, businessId }) {
    this.root = root;
    this.api = api;
    this.businessId = businessId;
    this.serverHasIt = null;
    this.build();
  }

  build() {
    const today = new Date();
    this.from = h('input', { type: 'date', value: isoDay(new Date(today.getTime() - 13 * DAY_MS)) });
    this.to = h('input', { type: 'date', value: isoDay(today) });
    this.stats = h('div', { className: 'stats' });
    this.chart = h('div', { className: 'chart' });
    this.table = h('tbody', {});
    this.source = h('p', { className: 'source', role: 'status' });
    const form = h('form', {
      className: 'range',
      onSubmit: (event) => {
        event.preventDefault();
        this.load();
      },
    }, h('label', {}, 'From', this.from), h('label', {}, 'To', this.to), h('button', { type: 'submit', className: 'button' }, 'Show'));
    this.root.replaceChildren(h('div', { className: 'page' },
      h('h1', { id: 'analytics-title' }, 'Analytics'),
      h('div', { className: 'panel' }, form),
      this.stats,
      h('div', { className: 'panel chart-panel' }, this.chart,
        h('div', { className: 'legend' },
          h('span', {}, h('span', { className: 'swatch', dataset: { color: 'bars' } }), 'Conversations per day'),
          h('span', {}, h('span', { className: 'swatch', dataset: { color: 'rate' } }), 'Conversion rate (guests who became reachable customers)')),
        this.source),
      h('details', { className: 'panel' }, h('summary', {}, 'The numbers as a table'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Day'), h('th', {}, 'Conversations'), h('th', {}, 'Conversions'), h('th', {}, 'Rate'))), this.table))));
    for (const swatch of this.root.querySelectorAll('.swatch')) {
      swatch.style.background = swatch.dataset.color === 'rate' ? '#7c3aed' : '#2563eb';
    }
  }

  async load() {
    const from = this.from.value;
    const to = this.to.value;
    if (!from || !to || from > to) {
      setText(this.source, 'Choose a start day before the end day.');
      return;
    }
    setText(this.source, 'Loading…');
    let result = null;
    if (this.serverHasIt !== false) {
      try {
        const body = await this.api.get('/api/chat/analytics', {
          businessId: this.businessId, from: `${from}T00:00:00.000Z`, to: `${to}T23:59:59.999Z`,
        });
        this.serverHasIt = true;
        result = normalizeAnalytics(body, from, to);
        setText(this.source, 'Source: the server\'s analytics.');
      } catch (err) {
        if (!(err instanceof ApiError && err.missingRoute)) {
          setText(this.source, `Could not load analytics: ${err.message}`);
          return;
        }
        this.serverHasIt = false;
      }
    }
    if (!result) {
      result = analyticsFromRooms(await this.allRooms(), from, to);
      setText(this.source, 'Computed in this browser from the room list (this server has no analytics endpoint).');
    }
    this.render(result);
  }

  async allRooms() {
    const rooms = [];
    let cursor = null;
    for (let page = 0; page < MAX_ROOM_PAGES; page += 1) {
      const data = await this.api.get('/api/chat/rooms', { businessId: this.businessId, limit: 100, cursor });
      rooms.push(...(data.rooms || []));
      cursor = data.nextCursor;
      if (!cursor) break;
    }
    return rooms;
  }

  render({ days: list, totals }) {
    const percent = (rate) => (rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10} %`);
    const stat = (value, label) => h('div', { className: 'stat' }, h('div', { className: 'value' }, value), h('div', { className: 'label' }, label));
    this.stats.replaceChildren(
      stat(totals.conversations, 'conversations'),
      stat(totals.guests || '—', 'from guests'),
      stat(totals.conversions, 'conversions'),
      stat(percent(totals.rate), 'conversion rate'));
    this.chart.replaceChildren(conversationsChart(list));
    this.table.replaceChildren(...list.map((d) => h('tr', {},
      h('td', {}, d.label), h('td', {}, d.conversations), h('td', {}, d.conversions), h('td', {}, percent(d.rate)))));
  }
}
