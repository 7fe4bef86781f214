/*
 * Analytics: conversations and guest-to-customer conversion over a range of days, as totals and
 * a chart, and the visitors' satisfaction ratings (csat: counted on the day they were given), from one request: GET /api/chat/analytics?businessId=&from=&to=&bucket=day
 * (protocol.md §10). Days are UTC days, as the server counts them; `to` is sent as the day after
 * the last one chosen, because the server's window is [from, to).
 */

import { conversationsChart } from './chart.js';

const DAY_MS = 86400000;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function nextDay(day) {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS));
}

/** The server's per-day series as the chart's days: conversations = guest + authenticated rooms. */
export function chartDays(series) {
  return (series || []).map((d) => ({
    label: d.date,
    conversations: d.guestRooms + d.authenticatedRooms,
    guests: d.guestRooms,
    conversions: d.converted,
    rate: d.guestRooms ? d.conversionRate : null, // no guests that day: no point on the line
  }));
}

export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10} %`;
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The csat average as shown: "4.00", or '—' without ratings. */
export function csatAverage(csat) {
  return csat && typeof csat.average === 'number' ? csat.average.toFixed(2) : '—';
}

/** "1★ 0 · 2★ 0 · 3★ 1 · 4★ 2 · 5★ 2": how many ratings gave each score. */
export function csatDistribution(csat) {
  const counts = (csat && csat.distribution) || {};
  return ['1', '2', '3', '4', '5'].map((score) => `${score}★ ${counts[score] || 0}`).join(' · ');
}

export class AnalyticsView {
  constructor({ root, api, businessId }) {
    this.root = root;
    this.api = api;
    this.businessId = businessId;
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
    }, h('label', {}, 'From', this.from), h('label', {}, 'To', this.to), h('button', { type: 'submit', className: 'button' }, 'Show'),
    h('span', { className: 'source' }, 'UTC days'));
    this.root.replaceChildren(h('div', { className: 'page' },
      h('h1', { id: 'analytics-title' }, 'Analytics'),
      h('div', { className: 'panel' }, form),
      this.stats,
      h('div', { className: 'panel chart-panel' }, this.chart,
        h('div', { className: 'legend' },
          h('span', {}, h('span', { className: 'swatch', dataset: { color: 'bars' } }), 'Conversations started per day'),
          h('span', {}, h('span', { className: 'swatch', dataset: { color: 'rate' } }), 'Conversion rate (guest conversations converted to customers)')),
        this.source),
      h('details', { className: 'panel' }, h('summary', {}, 'The numbers as a table'),
        h('table', {}, h('thead', {}, h('tr', {},
          h('th', {}, 'Day'), h('th', {}, 'Conversations'), h('th', {}, 'From guests'), h('th', {}, 'Converted'), h('th', {}, 'Rate'))),
        this.table))));
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
    let report;
    try {
      report = await this.api.get('/api/chat/analytics', { businessId: this.businessId, from, to: nextDay(to), bucket: 'day' });
    } catch (err) {
      setText(this.source, `Could not load analytics: ${err.message}`);
      return;
    }
    this.render(report);
    setText(this.source, `${from} to ${to}: conversations counted on the day they started, ratings on the day they were given.`);
  }

  render(report) {
    const days = chartDays(report.series);
    const messages = report.messagesBySenderType || {};
    const stat = (value, label, key) => h('div', { className: 'stat', dataset: { stat: key } },
      h('div', { className: 'value' }, value), h('div', { className: 'label' }, label));
    this.stats.replaceChildren(
      stat(report.guestRooms + report.authenticatedRooms, 'conversations', 'conversations'),
      stat(report.guestRooms, 'from guests', 'guests'),
      stat(report.converted, 'guests converted', 'converted'),
      stat(percent(report.conversionRate), 'conversion rate', 'conversionRate'),
      stat(percent(report.emailCaptureRate), 'guests who left an email', 'emailCaptureRate'),
      stat(report.faqAnswers, 'FAQ answers sent', 'faqAnswers'),
      stat(duration(report.medianFirstResponseMs), 'median first reply', 'medianFirstResponse'),
      stat((messages.guest || 0) + (messages.customer || 0), 'visitor messages', 'visitorMessages'),
      stat(csatAverage(report.csat), 'average satisfaction (CSAT, 1–5)', 'csatAverage'),
      stat((report.csat && report.csat.responses) || 0, 'satisfaction ratings', 'csatResponses'),
      stat(csatDistribution(report.csat), 'ratings per score', 'csatDistribution'));
    this.chart.replaceChildren(conversationsChart(days));
    this.table.replaceChildren(...days.map((d) => h('tr', {},
      h('td', {}, d.label), h('td', {}, d.conversations), h('td', {}, d.guests), h('td', {}, d.conversions), h('td', {}, percent(d.rate)))));
  }
}
