/*
 * Canned responses: the business's saved replies, through
 * /api/businesses/{businessId}/canned-responses. An entry is {_id, shortCode, content}.
 *
 * CannedResponses holds the list (loaded when the dashboard opens and after every change made in
 * the tab), CannedView is the management tab, CannedPicker the list that "/" opens in the reply
 * box, and fillPlaceholders fills {{visitor.name}}, {{visitor.email}} and {{staff.name}} when a
 * response is inserted. Everything is shown as text (h()/textContent/value), never as markup.
 */

const MAX_SHORT_CODE = 32;
const MAX_CONTENT = 2000;
const SNIPPET = 80; // characters of the content an option shows
const TRIGGER = /(^|\s)\/([^\s/]*)$/; // a "/query" that starts the box or follows whitespace, up to the caret

/** The business's canned responses, sorted by shortCode (the server's order); listeners hear every load. */
export class CannedResponses {
  constructor({ api, businessId }) {
    this.api = api;
    this.path = `/api/businesses/${encodeURIComponent(businessId)}/canned-responses`;
    this.items = [];
    this.error = null;
    this.listeners = [];
    this.loads = 0; // a slow answer must not overwrite a newer one
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  async load() {
    const load = ++this.loads;
    let items = this.items;
    let error = null;
    try {
      const data = await this.api.get(this.path);
      items = data.cannedResponses || [];
    } catch (err) {
      error = err;
    }
    if (load !== this.loads) return;
    this.items = items;
    this.error = error;
    for (const listener of this.listeners) listener();
  }

  itemPath(item) {
    return `${this.path}/${encodeURIComponent(item._id)}`;
  }

  /** Prefix matches on shortCode (case-insensitive) first, then the others whose content contains the query. */
  matching(query) {
    const q = query.toLowerCase();
    const byCode = this.items.filter((item) => item.shortCode.toLowerCase().startsWith(q));
    const byContent = q ? this.items.filter((item) => !byCode.includes(item) && item.content.toLowerCase().includes(q)) : [];
    return byCode.concat(byContent);
  }
}

/** Known {{placeholders}} replaced by their values (plain strings); unknown ones stay as typed. */
export function fillPlaceholders(content, values) {
  return content.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g,
    (whole, key) => (Object.prototype.hasOwnProperty.call(values, key) ? String(values[key] ?? '') : whole));
}

/** The management tab: a form to add or edit, and the table with Edit and Delete. */
export class CannedView {
  constructor({ root, store }) {
    this.root = root;
    this.store = store;
    this.editing = null; // the response being edited, or null for a new one
    this.confirming = null; // id of the response whose Delete was pressed once
    this.build();
    store.onChange(() => this.render());
  }

  build() {
    this.shortCode = h('input', {
      type: 'text', required: true, maxlength: String(MAX_SHORT_CODE), pattern: `[A-Za-z0-9_\\-]{1,${MAX_SHORT_CODE}}`,
      title: `Letters, digits, - and _ (at most ${MAX_SHORT_CODE})`, placeholder: 'greet', spellcheck: 'false', autocomplete: 'off',
    });
    this.content = h('textarea', {
      rows: '3', required: true, maxlength: String(MAX_CONTENT), placeholder: 'Hi {{visitor.name}}, I am {{staff.name}}. How can I help?',
    });
    for (const field of [this.shortCode, this.content]) field.addEventListener('input', () => field.removeAttribute('aria-invalid'));
    this.submitButton = h('button', { type: 'submit', className: 'button' }, 'Add response');
    this.cancelButton = h('button', { type: 'button', className: 'button subtle', hidden: true, onClick: () => this.edit(null) }, 'Cancel');
    this.status = h('p', { className: 'source', role: 'status' });
    const form = h('form', {
      className: 'faq-form canned-form',
      onSubmit: (event) => {
        event.preventDefault();
        this.save();
      },
    },
    h('label', {}, 'Short code', this.shortCode),
    h('label', { className: 'wide' }, 'Content', this.content),
    h('div', { className: 'wide row' }, this.submitButton, this.cancelButton, this.status));
    this.body = h('tbody', {});
    this.root.replaceChildren(h('div', { className: 'page' },
      h('h1', { id: 'canned-title' }, 'Canned responses'),
      h('p', { className: 'source' },
        'Saved replies: type / and the short code in a chat\'s reply box to insert one. ',
        '{{visitor.name}}, {{visitor.email}} and {{staff.name}} are filled in when it is inserted.'),
      h('div', { className: 'panel' }, form),
      h('div', { className: 'panel' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Short code'), h('th', {}, 'Content'), h('th', {}, ''))),
        this.body))));
    this.render();
  }

  load() {
    return this.store.load();
  }

  edit(item) {
    this.editing = item;
    this.shortCode.value = item ? item.shortCode : '';
    this.content.value = item ? item.content : '';
    for (const field of [this.shortCode, this.content]) field.removeAttribute('aria-invalid');
    setText(this.submitButton, item ? 'Save changes' : 'Add response');
    this.cancelButton.hidden = !item;
    if (item) this.shortCode.focus();
  }

  async save() {
    const body = { shortCode: this.shortCode.value.trim(), content: this.content.value.trim() };
    const editing = this.editing;
    try {
      if (editing) await this.store.api.patch(this.store.itemPath(editing), body);
      else await this.store.api.post(this.store.path, body);
      setText(this.status, editing ? 'Saved.' : 'Added.');
      this.edit(null);
      await this.store.load();
    } catch (err) {
      setText(this.status, `Not saved: ${err.message}`);
      const field = { shortCode: this.shortCode, content: this.content }[err.field];
      if (field) {
        field.setAttribute('aria-invalid', 'true');
        field.focus();
      }
    }
  }

  /** The first press asks (the button changes), the second deletes: no modal dialog. */
  async remove(item) {
    if (this.confirming !== item._id) {
      this.confirming = item._id;
      this.render();
      return;
    }
    this.confirming = null;
    try {
      await this.store.api.del(this.store.itemPath(item));
      if (this.editing && this.editing._id === item._id) this.edit(null);
      setText(this.status, 'Deleted.');
      await this.store.load();
    } catch (err) {
      setText(this.status, `Not deleted: ${err.message}`);
      this.render();
    }
  }

  render() {
    const rows = this.store.items.map((item) => h('tr', { dataset: { id: item._id } },
      h('td', { className: 'code' }, `/${item.shortCode}`),
      h('td', { className: 'content' }, item.content),
      h('td', { className: 'actions' },
        h('button', { type: 'button', className: 'button subtle', onClick: () => this.edit(item) }, 'Edit'), ' ',
        h('button', { type: 'button', className: 'button danger', onClick: () => this.remove(item) },
          this.confirming === item._id ? 'Really delete?' : 'Delete'))));
    if (!rows.length) {
      const { error } = this.store;
      const text = error ? `Could not load canned responses: ${error.message}` : 'No canned responses yet.';
      rows.push(h('tr', {}, h('td', { colspan: '3', className: 'source' }, text)));
    }
    this.body.replaceChildren(...rows);
  }
}

/**
 * The "/" list of a reply box: opened by a "/query" at the caret (at the start or after
 * whitespace), ArrowUp/ArrowDown choose, Enter or a click inserts the filled response in place
 * of "/query", Escape closes it until another "/" is typed. values() gives the placeholders'
 * values at the time of insertion; inserted() is called after each insertion.
 */
export class CannedPicker {
  constructor({ input, store, values, inserted }) {
    this.input = input;
    this.store = store;
    this.values = values;
    this.inserted = inserted || (() => {});
    this.matches = [];
    this.index = 0;
    this.token = null; // {start, end, query}: the text an insertion replaces
    this.dismissed = null; // where the "/" closed by Escape starts
    this.list = h('ul', { className: 'canned-list', id: 'canned-list', role: 'listbox', 'aria-label': 'Canned responses', hidden: true });
    this.list.addEventListener('mousedown', (event) => event.preventDefault()); // the reply box keeps the focus
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', this.list.id);
    input.addEventListener('input', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('keyup', (event) => {
      if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) this.update();
    });
    input.addEventListener('blur', () => this.close());
    store.onChange(() => {
      if (this.isOpen) this.update();
    });
  }

  get isOpen() {
    return !this.list.hidden;
  }

  /** The "/query" the caret is in, or null. */
  tokenAt() {
    const { value, selectionStart, selectionEnd } = this.input;
    if (selectionStart !== selectionEnd) return null;
    const found = TRIGGER.exec(value.slice(0, selectionStart));
    if (!found) return null;
    const rest = /^\S*/.exec(value.slice(selectionStart))[0]; // the rest of the word is replaced too
    return { start: selectionStart - found[2].length - 1, end: selectionStart + rest.length, query: found[2] };
  }

  update() {
    const token = this.tokenAt();
    if (!token || token.start !== this.dismissed) this.dismissed = null;
    const matches = token && this.dismissed === null ? this.store.matching(token.query) : [];
    if (!matches.length) {
      this.close();
      return;
    }
    const selected = this.matches[this.index];
    this.token = token;
    this.matches = matches;
    this.index = Math.max(0, matches.indexOf(selected));
    this.list.replaceChildren(...matches.map((item, i) => h('li', {
      id: `canned-option-${i}`, className: 'canned-option', role: 'option', 'aria-selected': 'false',
      onMousemove: () => this.select(i),
      onClick: () => this.choose(i),
    }, h('span', { className: 'code' }, `/${item.shortCode}`), ' ', h('span', { className: 'snippet' }, snippet(item.content)))));
    this.list.hidden = false;
    this.select(this.index);
  }

  select(index) {
    this.index = index;
    Array.from(this.list.children).forEach((el, i) => el.setAttribute('aria-selected', String(i === index)));
    const el = this.list.children[index];
    this.input.setAttribute('aria-activedescendant', el.id);
    const list = this.list;
    if (el.offsetTop < list.scrollTop) list.scrollTop = el.offsetTop;
    else if (el.offsetTop + el.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = el.offsetTop + el.offsetHeight - list.clientHeight;
  }

  close() {
    this.list.hidden = true;
    this.list.replaceChildren();
    this.matches = [];
    this.index = 0;
    this.token = null;
    this.input.removeAttribute('aria-activedescendant');
  }

  /** The reply box's keydown, first: true when the list used the key (Enter must not send then). */
  keydown(event) {
    if (!this.isOpen || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false;
    const count = this.matches.length;
    if (event.key === 'ArrowDown') this.select((this.index + 1) % count);
    else if (event.key === 'ArrowUp') this.select((this.index - 1 + count) % count);
    else if (event.key === 'Enter' && !event.shiftKey) this.choose(this.index);
    else if (event.key === 'Escape') {
      this.dismissed = this.token.start;
      this.close();
      event.stopPropagation();
    } else return false;
    event.preventDefault();
    return true;
  }

  choose(index) {
    const item = this.matches[index];
    const token = this.token;
    if (!item || !token) return;
    const text = fillPlaceholders(item.content, this.values());
    this.input.setRangeText(text, token.start, token.end, 'end');
    this.close();
    this.input.focus();
    this.inserted();
  }
}

function snippet(content) {
  const line = content.replace(/\s+/g, ' ').trim();
  return line.length > SNIPPET ? `${line.slice(0, SNIPPET - 1)}…` : line;
}
