/*
 * A small SVG chart: bars for conversations per day, a line for the conversion rate (right
 * axis, 0-100 %). About eighty lines, so no chart library (which would need a CDN or vendoring
 * and would loosen the dashboard's CSP). The numbers are also given as a table for screen readers.
 */

const W = 760;
const H = 260;
const PAD = { top: 16, right: 48, bottom: 36, left: 40 };

/** A round top for the count axis, so its four steps are whole, readable numbers. */
function niceMax(value) {
  const rough = Math.max(1, value) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough);
  return Math.max(1, Math.ceil(step)) * 4;
}

/** days: [{label: 'YYYY-MM-DD', conversations, conversions, rate (0..1 or null)}] */
export function conversationsChart(days) {
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const maxCount = niceMax(Math.max(0, ...days.map((d) => d.conversations)));
  const step = innerW / Math.max(days.length, 1);
  const barW = Math.max(2, Math.min(36, step * 0.6));
  const y = (count) => PAD.top + innerH - (count / maxCount) * innerH;
  const yRate = (rate) => PAD.top + innerH - rate * innerH;
  const x = (i) => PAD.left + step * i + step / 2;
  const summary = days.map((d) => `${d.label}: ${d.conversations} conversations`).join('; ');
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Conversations per day. ${summary}` },
    svg('title', {}, 'Conversations and conversion rate per day'));
  for (let i = 0; i <= 4; i += 1) {
    const value = (maxCount / 4) * i;
    const yy = y(value);
    chart.append(
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, stroke: '#e5e7eb' }),
      svg('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#61707f' }, Math.round(value)),
      svg('text', { x: W - PAD.right + 6, y: yy + 4, 'font-size': 11, fill: '#7c3aed' }, `${i * 25}%`));
  }
  const labelEvery = Math.ceil(days.length / 10);
  days.forEach((d, i) => {
    const top = y(d.conversations);
    chart.append(svg('rect', {
      x: x(i) - barW / 2, y: top, width: barW, height: PAD.top + innerH - top, rx: 3, fill: '#2563eb', class: 'bar',
    }, svg('title', {}, `${d.label}: ${d.conversations} conversations`)));
    if (i % labelEvery === 0) {
      chart.append(svg('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#61707f' }, d.label.slice(5)));
    }
  });
  const points = days.map((d, i) => (d.rate === null || d.rate === undefined ? null : `${x(i)},${yRate(d.rate)}`)).filter(Boolean);
  if (points.length) {
    chart.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: '#7c3aed', 'stroke-width': 2.5, class: 'rate' }));
    days.forEach((d, i) => {
      if (d.rate !== null && d.rate !== undefined) chart.append(svg('circle', { cx: x(i), cy: yRate(d.rate), r: 3, fill: '#7c3aed' }));
    });
  }
  return chart;
}
