/*
 * The optional email form in the widget ("Get the answer by email"): sends
 * chat:update-guest-info {email} so staff can reply after the visitor has left. Shown only when
 * the server knows that event (probed at connect).
 */

class EmailCapture {
  /** saved(email) after the server accepted it; unsupported() when it answers unknown_event. */
  constructor({ conn, saved, unsupported }) {
    this.conn = conn;
    this.saved = saved;
    this.unsupported = unsupported;
    this.toggle = h('button', {
      type: 'button', className: 'link', 'aria-expanded': 'false', onClick: () => this.setOpen(this.form.hidden),
    }, 'Get the answer by email');
    this.input = h('input', {
      type: 'email', required: true, maxlength: '254', autocomplete: 'email', 'aria-label': 'Email', placeholder: 'you@example.com',
    });
    this.note = h('p', { className: 'note', role: 'status' });
    this.form = h('form', {
      hidden: true,
      onSubmit: (event) => {
        event.preventDefault();
        this.save();
      },
    }, this.input, h('button', { type: 'submit', className: 'button' }, 'Save'));
    this.el = h('div', { className: 'capture', hidden: true }, this.toggle, this.form, this.note);
  }

  setOpen(open) {
    this.form.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) this.input.focus();
  }

  async save() {
    const email = this.input.value.trim();
    if (!email || !this.input.checkValidity()) {
      setText(this.note, 'Please enter a valid email address.');
      return;
    }
    setText(this.note, 'Saving…');
    try {
      await this.conn.request('chat:update-guest-info', { email });
      this.saved(email);
      this.setOpen(false);
      setText(this.note, `Thanks! We will also reply to ${email}.`);
    } catch (err) {
      if (err.code === 'unknown_event') {
        setText(this.note, '');
        this.unsupported();
        return;
      }
      setText(this.note, err.code === 'disconnected' ? 'Not connected; try again in a moment.' : err.message);
    }
  }
}
