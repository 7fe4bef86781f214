/*
 * Finding the widget's script tags and what each needs outside the widget itself: where its server
 * is (the script's own address), and per-business storage. Runs last in the bundle.
 */

/** Per-business state in localStorage (an in-memory copy when storage is blocked). */
class WidgetStorage {
  constructor(businessId) {
    this.key = `chatserver:widget:${businessId}`;
    this.memory = {};
  }

  load() {
    try {
      const raw = window.localStorage.getItem(this.key);
      return raw ? JSON.parse(raw) : { ...this.memory };
    } catch (err) {
      return { ...this.memory };
    }
  }

  save(patch) {
    const next = { ...this.load(), ...patch };
    this.memory = next;
    try {
      window.localStorage.setItem(this.key, JSON.stringify(next));
    } catch (err) {
      /* private mode, quota: keep the in-memory copy */
    }
  }
}

function serverBase(script) {
  if (script.dataset.server) return script.dataset.server.replace(/\/+$/, '');
  const url = new URL(script.src, document.baseURI);
  return url.origin + url.pathname.replace(/\/widget\.js$/, '');
}

function mountWidgets() {
  const scripts = [];
  const current = document.currentScript;
  if (current && current.dataset.businessId) scripts.push(current);
  else {
    // loaded in a way that leaves no currentScript (a module wrapper, some tag managers)
    for (const script of document.querySelectorAll('script[data-business-id]')) {
      if (/\/widget\.js(?:[?#]|$)/.test(script.src)) scripts.push(script);
    }
  }
  for (const script of scripts) {
    if (script.hasAttribute('data-chatserver-mounted')) continue;
    script.setAttribute('data-chatserver-mounted', '');
    const start = () => {
      try {
        new ChatWidget(script); // eslint-disable-line no-new
      } catch (err) {
        console.error('chatserver widget: could not start', err);
      }
    };
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', start, { once: true });
  }
}

mountWidgets();
