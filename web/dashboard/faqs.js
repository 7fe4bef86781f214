/*
 * FAQ management: the business's automatic answers, through /api/businesses/{businessId}/faqs
 * (protocol.md §10). An entry is {_id, question, answer, keywords, enabled}; the server answers
 * a visitor's message with the best-matching enabled entry, as a system message.
 */

const MAX_QUESTION = 500;
const MAX_ANSWER = 4000;

export class FaqView {
  constructor({ root, api, businessId }) {
    this.root = root;
    this.api = api;
    this.path = `/api/businesses/${encodeURIComponent(businessId)}/faqs`;
    this.faqs = [];
    this.editing = null; // the FAQ being edited, or null for a new one
    this.confirming = null; // id of the FAQ whose Delete was pressed once
    this.message = null;
    this.build();
  }

  build() {
    this.question = h('input', { type: 'text', required: true, maxlength: String(MAX_QUESTION) });
    this.answer = h('textarea', { rows: '3', required: true, maxlength: String(MAX_ANSWER) });
    this.keywords = h('input', { type: 'text', placeholder: 'shipping, delivery, returns' });
    this.enabled = h('input', { type: 'checkbox', checked: true });
    this.submitButton = h('button', { type: 'submit', className: 'button' }, 'Add FAQ');
    this.cancelButton = h('button', { type: 'button', className: 'button subtle', hidden: true, onClick: () => this.edit(null) }, 'Cancel');
    this.status = h('p', { className: 'source', role: 'status' });
    const form = h('form', {
      className: 'faq-form',
      onSubmit: (event) => {
        event.preventDefault();
        this.save();
      },
    },
    h('label', { className: 'wide' }, 'Question', this.question),
    h('label', { className: 'wide' }, 'Answer', this.answer),
    h('label', {}, 'Keywords (comma-separated)', this.keywords),
    h('label', { className: 'row' }, this.enabled, 'Enabled'),
    h('div', { className: 'wide row' }, this.submitButton, this.cancelButton, this.status));
    this.body = h('tbody', {});
    this.root.replaceChildren(h('div', { className: 'page' },
      h('h1', { id: 'faqs-title' }, 'FAQ answers'),
      h('p', { className: 'source' },
        'When a visitor\'s message matches an enabled FAQ (its keywords, or a question close to it), the server answers at once; the answer shows as an automatic message in the chat.'),
      h('div', { className: 'panel' }, form),
      h('div', { className: 'panel' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Question'), h('th', {}, 'Answer'), h('th', {}, 'Keywords'), h('th', {}, 'Enabled'), h('th', {}, ''))),
        this.body))));
  }

  async load() {
    try {
      const data = await this.api.get(this.path);
      this.faqs = data.faqs || [];
      this.message = null;
    } catch (err) {
      this.message = `Could not load FAQs: ${err.message}`;
    }
    this.render();
  }

  edit(faq) {
    this.editing = faq;
    this.question.value = faq ? faq.question : '';
    this.answer.value = faq ? faq.answer : '';
    this.keywords.value = faq ? faq.keywords.join(', ') : '';
    this.enabled.checked = faq ? faq.enabled : true;
    setText(this.submitButton, faq ? 'Save changes' : 'Add FAQ');
    this.cancelButton.hidden = !faq;
    if (faq) this.question.focus();
  }

  async save() {
    const body = {
      question: this.question.value.trim(),
      answer: this.answer.value.trim(),
      keywords: this.keywords.value.split(',').map((k) => k.trim()).filter(Boolean),
      enabled: this.enabled.checked,
    };
    try {
      if (this.editing) await this.api.patch(`${this.path}/${encodeURIComponent(this.editing._id)}`, body);
      else await this.api.post(this.path, body);
      setText(this.status, this.editing ? 'Saved.' : 'Added.');
      this.edit(null);
      await this.load();
    } catch (err) {
      setText(this.status, `Not saved: ${err.message}`);
    }
  }

  async setEnabled(faq, enabled) {
    try {
      await this.api.patch(`${this.path}/${encodeURIComponent(faq._id)}`, { enabled });
      setText(this.status, `${enabled ? 'Enabled' : 'Disabled'}: ${faq.question}`);
      await this.load();
    } catch (err) {
      setText(this.status, `Not saved: ${err.message}`);
    }
  }

  /** The first press asks (the button changes), the second deletes: no modal dialog. */
  async remove(faq) {
    if (this.confirming !== faq._id) {
      this.confirming = faq._id;
      this.render();
      return;
    }
    this.confirming = null;
    try {
      await this.api.del(`${this.path}/${encodeURIComponent(faq._id)}`);
      if (this.editing && this.editing._id === faq._id) this.edit(null);
      setText(this.status, 'Deleted.');
      await this.load();
    } catch (err) {
      setText(this.status, `Not deleted: ${err.message}`);
      this.render();
    }
  }

  render() {
    const rows = this.faqs.map((faq) => {
      const toggle = h('input', { type: 'checkbox', checked: faq.enabled, 'aria-label': `Enabled: ${faq.question}` });
      toggle.addEventListener('change', () => this.setEnabled(faq, toggle.checked));
      return h('tr', { dataset: { id: faq._id } },
        h('td', {}, faq.question),
        h('td', {}, faq.answer),
        h('td', {}, faq.keywords.join(', ')),
        h('td', {}, toggle),
        h('td', { className: 'actions' },
          h('button', { type: 'button', className: 'button subtle', onClick: () => this.edit(faq) }, 'Edit'), ' ',
          h('button', { type: 'button', className: 'button danger', onClick: () => this.remove(faq) },
            this.confirming === faq._id ? 'Really delete?' : 'Delete')));
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '5', className: 'source' }, this.message || 'No FAQs yet.')));
    this.body.replaceChildren(...rows);
  }
}
