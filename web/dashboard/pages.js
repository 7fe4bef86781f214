/*
 * The visitor's page in the open chat's header (chat:page-view, protocol.md §4): the current page
 * (the newest of the room's metadata.pageViews, kept live by chat:room-updated) and a "Recent
 * pages" list, newest first. Visitors choose what they report, so nothing of it is trusted:
 * text goes in as text, and only an http(s) URL becomes a link (opened in a new tab, with no
 * opener and no referrer); anything else is shown as plain text.
 */

/** The URL as a link target, or null when it is not an absolute http(s) URL. */
export function safePageUrl(url) {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch (err) {
    return null;
  }
}

/** One page view as a link (title, else the URL), or as plain text when it cannot be a link. */
export function pageLink(view, className) {
  const label = (view && (view.title || view.url)) || '';
  const href = safePageUrl(view && view.url);
  if (!href) return h('span', { className, title: (view && view.url) || '' }, label);
  return h('a', { className, href, target: '_blank', rel: 'noopener noreferrer', title: href }, label);
}

/** The room's page views, oldest first as stored; [] when none or malformed. */
export function pageViews(meta) {
  const views = meta && Array.isArray(meta.pageViews) ? meta.pageViews : [];
  return views.filter((view) => view && typeof view.url === 'string');
}

/**
 * The header's page block, or null when the visitor reported no page. open: whether "Recent
 * pages" is unfolded; onToggle(open) keeps that across re-renders (the header is rebuilt on
 * every chat:room-updated).
 */
export function visitorPages(meta, { open = false, onToggle = () => {} } = {}) {
  const views = pageViews(meta);
  if (!views.length) return null;
  const current = views[views.length - 1];
  const block = h('div', { className: 'visitor-pages' },
    h('p', { className: 'current-page' }, 'On ', pageLink(current, 'page-link'), ' ',
      h('time', { datetime: current.at || '' }, formatTime(current.at))));
  if (views.length > 1) {
    const items = views.slice().reverse().map((view) => h('li', {},
      pageLink(view, 'recent-page'), ' ', h('time', { datetime: view.at || '' }, formatTime(view.at))));
    const details = h('details', { className: 'recent-pages', open },
      h('summary', {}, `Recent pages (${views.length})`), h('ol', {}, items));
    details.addEventListener('toggle', () => onToggle(details.open));
    block.appendChild(details);
  }
  return block;
}
