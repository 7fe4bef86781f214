/*
 * The satisfaction prompt in the widget (CSAT): once staff close the chat it asks "How was this
 * conversation?" with five star buttons, an optional comment and Send (chat:rate). The rating can
 * be changed until the chat reopens; a reopen clears it, and the next close asks again.
 */

const RATING_LABELS = ['star1', 'star2', 'star3', 'star4', 'star5'];

class RatingPrompt {
  /** t: the widget's words (i18n.js). */
  constructor({ conn, t = translator('en') }) {
    this.conn = conn;
    this.t = t;
    this.roomId = null;
    this.score = 0;
    this.stars = RATING_LABELS.map((key) => t(key)).map((label, i) => h('button', {
      type: 'button', className: 'star', 'aria-label': label, 'aria-pressed': 'false', title: label,
      onClick: () => this.pick(i + 1),
    }, '★'));
    this.comment = h('textarea', {
      rows: '2', maxlength: '1000', 'aria-label': t('comment'), placeholder: t('commentPlaceholder'),
    });
    this.sendButton = h('button', { type: 'submit', className: 'button', disabled: true }, t('send'));
    this.note = h('p', { className: 'note', role: 'status' });
    const form = h('form', {
      onSubmit: (event) => {
        event.preventDefault();
        this.send();
      },
    }, h('div', { className: 'stars', role: 'group', 'aria-label': t('rating') }, ...this.stars), this.comment, this.sendButton);
    this.el = h('div', { className: 'rating', hidden: true },
      h('p', { className: 'question', id: 'csw-rating-question' }, t('rateQuestion')), form, this.note);
  }

  /** Shown while the room is closed; `rating` (the Room's, or null) fills in an earlier answer. */
  show(roomId, closed, rating) {
    const changed = roomId !== this.roomId;
    this.roomId = roomId;
    this.el.hidden = !closed;
    if (!closed || changed) this.reset();
    if (closed && rating && typeof rating.score === 'number' && !this.score) {
      this.pick(rating.score);
      this.comment.value = rating.comment || '';
      setText(this.note, this.t('thanksRating'));
    }
  }

  reset() {
    this.pick(0);
    this.comment.value = '';
    setText(this.note, '');
  }

  pick(score) {
    this.score = score;
    this.stars.forEach((star, i) => {
      star.setAttribute('aria-pressed', String(i < score));
      star.classList.toggle('on', i < score);
    });
    this.sendButton.disabled = score < 1;
  }

  async send() {
    if (!this.roomId || this.score < 1) return;
    const comment = this.comment.value.trim();
    setText(this.note, this.t('sending'));
    try {
      await this.conn.request('chat:rate', { roomId: this.roomId, score: this.score, ...(comment ? { comment } : {}) });
      setText(this.note, this.t('thanksRating'));
    } catch (err) {
      setText(this.note, err.code === 'disconnected' || err.code === 'timeout' ? this.t('notConnected') : err.message);
    }
  }
}
