/*
 * DOM helpers shared by the widget and the dashboard. Text is only ever set with text nodes
 * (textContent): nothing here parses HTML, so message content can never become markup.
 */

/**
 * h('button', {className: 'x', type: 'button', 'aria-label': 'Close', onClick: fn}, 'text', child)
 * Strings and numbers become text nodes; null/false children are skipped.
 */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'className') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value') el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return el;
}

/** An SVG element (icons, the analytics chart). */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  return append(el, children);
}

/** Replace all children of `el` with text. */
function setText(el, text) {
  el.textContent = text === null || text === undefined ? '' : String(text);
}

/**
 * Make `parent`'s children match `items` (each with a unique `key`), in order, reusing the
 * element already shown for a key: create(item) builds a new one, update(el, item) refreshes it.
 */
function reconcile(parent, items, create, update) {
  const existing = new Map();
  for (const child of Array.from(parent.children)) existing.set(child.dataset.key, child);
  let cursor = parent.firstElementChild;
  for (const item of items) {
    let el = existing.get(item.key);
    if (el) {
      existing.delete(item.key);
      if (update) update(el, item);
    } else {
      el = create(item);
      el.dataset.key = item.key;
    }
    if (el === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(el, cursor);
  }
  for (const stale of existing.values()) stale.remove();
}

function formatTime(iso, locale) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = new Date().toDateString() === date.toDateString();
  let lang = [];
  try {
    lang = locale ? Intl.getCanonicalLocales(locale) : []; // the widget's language; else the browser's
  } catch (err) {
    lang = [];
  }
  const time = date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${date.toLocaleDateString(lang, { month: 'short', day: 'numeric' })} ${time}`;
}
