/*
 * The optional email form in the widget ("Get the answer by email"): sends
 * chat:update-guest-info {email} so staff can reply after the visitor has left; the staff
 * dashboard shows the address at once (chat:room-updated). Hidden with data-email-capture="false".
 */

class EmailCapture {
  /** saved(email) after the server accepted it; t: the widget's words (i18n.js). */
  constructor({ conn, saved, t = translator('en') }) {
    this.conn = conn;
    this.saved = saved;
    this.t = t;
    this.toggle = h('button', {
      type: 'button', className: 'link', 'aria-expanded': 'false', onClick: () => this.setOpen(this.form.hidden),
    }, t('emailToggle'));
    this.input = h('input', {
      type: 'email', required: true, maxlength: '254', autocomplete: 'email', 'aria-label': t('email'), placeholder: 'you@example.com',
    });
    this.note = h('p', { className: 'note', role: 'status' });
    this.form = h('form', {
      hidden: true,
      onSubmit: (event) => {
        event.preventDefault();
        this.save();
      },
    }, this.input, h('button', { type: 'submit', className: 'button' }, t('save')));
    this.el = h('div', { className: 'capture', hidden: true }, this.toggle, this.form, this.note);
  }

  setOpen(open) {
    this.form.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) this.input.focus();
  }

  /** The room already has an address (given earlier, or on another page): offer to change it. */
  known(email) {
    if (!this.form.hidden) return;
    this.input.value = email;
    setText(this.toggle, this.t('changeEmail'));
    setText(this.note, this.t('alsoReply', { email }));
  }

  async save() {
    const email = this.input.value.trim();
    if (!email || !this.input.checkValidity()) {
      setText(this.note, this.t('badEmail'));
      return;
    }
    setText(this.note, this.t('saving'));
    try {
      const { rooms } = await this.conn.request('chat:update-guest-info', { email });
      const info = rooms && rooms[0] && rooms[0].metadata && rooms[0].metadata.guestInfo;
      const stored = info && info.email;
      this.saved(stored || email);
      this.setOpen(false);
      setText(this.toggle, this.t('changeEmail'));
      setText(this.note, this.t('thanksEmail', { email: stored || email }));
    } catch (err) {
      setText(this.note, err.code === 'disconnected' || err.code === 'timeout' ? this.t('notConnected') : err.message);
    }
  }
}
