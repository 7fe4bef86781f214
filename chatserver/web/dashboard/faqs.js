/*
 * FAQ management: the business's automatic answers, listed, added, edited and deleted through
 * the FAQ REST API. The tab shows only when GET /api/chat/faqs answers (not 404).
 * Assumed shape (to reconcile with the server): GET -> {faqs: [{_id, question, answer,
 * keywords: [..], isActive}]}; POST {businessId, question, answer, keywords, isActive};
 * PUT /api/chat/faqs/{id} with the same fields; DELETE /api/chat/faqs/{id}.
 */

const PATH = '/api/chat/faqs';

export class FaqView {
  constructor({ root, api, businessId }) {
    this.root = root;
    this.api = api;
    this.businessId = businessId;
    this.faqs = [];
    this.editing = null; // the FAQ being edited, or null for a new one
    this.message = null;
    this.build();
  }

  build() {
    this.question = h('input', { type: 'text', required: true, maxlength: '500' });
    this.answer = h('textarea', { rows: '3', required: true, maxlength: '2000' });
    this.keywords = h('input', { type: 'text', placeholder: 'shipping, delivery, returns' });
    this.active = h('input', { type: 'checkbox', checked: true });
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
    h('label', { className: 'row' }, this.active, 'Active'),
    h('div', { className: 'wide row' }, this.submitButton, this.cancelButton, this.status));
    this.body = h('tbody', {});
    this.root.replaceChildren(h('div', { className: 'page' },
      h('h1', { id: 'faqs-title' }, 'FAQ answers'),
      h('p', { className: 'source' }, 'When a visitor\'s message matches an FAQ, the server answers it automatically; the answer shows as a system message.'),
      h('div', { className: 'panel' }, form),
      h('div', { className: 'panel' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Question'), h('th', {}, 'Answer'), h('th', {}, 'Keywords'), h('th', {}, 'Active'), h('th', {}, ''))),
        this.body))));
  }

  async load() {
    try {
      const data = await this.api.get(PATH, { businessId: this.businessId });
      this.faqs = Array.isArray(data) ? data : data.faqs || data.items || [];
      this.message = null;
    } catch (err) {
      this.message = `Could not load FAQs: ${err.message}`;
    }
    this.render();
  }

  edit(faq) {
    this.editing = faq;
    this.question.value = faq ? faq.question || '' : '';
    this.answer.value = faq ? faq.answer || '' : '';
    this.keywords.value = faq ? (faq.keywords || []).join(', ') : '';
    this.active.checked = faq ? faq.isActive !== false : true;
    setText(this.submitButton, faq ? 'Save changes' : 'Add FAQ');
    this.cancelButton.hidden = !faq;
    if (faq) this.question.focus();
  }

  async save() {
    const body = {
      businessId: this.businessId,
      question: this.question.value.trim(),
      answer: this.answer.value.trim(),
      keywords: this.keywords.value.split(',').map((k) => k.trim()).filter(Boolean),
      isActive: this.active.checked,
    };
    try {
      if (this.editing) await this.api.put(`${PATH}/${encodeURIComponent(this.editing._id)}`, body, { businessId: this.businessId });
      else await this.api.post(PATH, body, { businessId: this.businessId });
      setText(this.status, this.editing ? 'Saved.' : 'Added.');
      this.edit(null);
      await this.load();
    } catch (err) {
      setText(this.status, `Not saved: ${err.message}`);
    }
  }

  async remove(faq) {
    if (!window.confirm(`Delete the FAQ “${faq.question}”?`)) return;
    try {
      await this.api.del(`${PATH}/${encodeURIComponent(faq._id)}`, { businessId: this.businessId });
      if (this.editing && this.editing._id === faq._id) this.edit(null);
      await this.load();
    } catch (err) {
      setText(this.status, `Not deleted: ${err.message}`);
    }
  }

  render() {
    const rows = this.faqs.map((faq) => h('tr', {},
      h('td', {}, faq.question || ''),
      h('td', {}, faq.answer || ''),
      h('td', {}, (faq.keywords || []).join(', ')),
      h('td', {}, faq.isActive === false ? 'No' : 'Yes'),
      h('td', { className: 'actions' },
        h('button', { type: 'button', className: 'button subtle', onClick: () => this.edit(faq) }, 'Edit'), ' ',
        h('button', { type: 'button', className: 'button danger', onClick: () => this.remove(faq) }, 'Delete'))));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '5', className: 'source' }, this.message || 'No FAQs yet.')));
    this.body.replaceChildren(...rows);
  }
}
