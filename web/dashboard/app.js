/*
 * The staff dashboard: sign in (email and password through POST /api/auth/login, or a pasted
 * staff token), then the chat list, the open conversation, FAQs, canned responses and analytics,
 * over one WebSocket and the REST API of the server that serves this page.
 *
 * The token is kept in sessionStorage: it survives a reload, not the closing of the tab.
 */

import { Api, passwordLogin, tokenClaims } from './api.js';
import { AnalyticsView } from './analytics.js';
import { CannedResponses, CannedView } from './canned.js';
import { ChatList } from './chatlist.js';
import { Conversation } from './conversation.js';
import { FaqView } from './faqs.js';
import { StaffNotices } from './notices.js';
import { displayName } from './visitors.js';

const TOKEN_KEY = 'chatserver:dashboard:token';
const NOTICE_KEY = 'chatserver:dashboard:notice';
const STATE_LABELS = {
  idle: 'Offline', connecting: 'Connecting…', open: 'Online', reconnecting: 'Reconnecting…', closed: 'Offline', refused: 'Signed out',
};
const LOGIN_ERRORS = {
  401: 'Wrong email or password.',
  403: 'Password login is disabled on this server (its tokens are issued elsewhere): paste a token.',
  429: 'Too many attempts for this email; wait a minute and try again.',
};

const $ = (selector) => document.querySelector(selector);

class Dashboard {
  constructor() {
    this.sections = ['login', 'chats', 'faqs', 'canned', 'analytics'].map((id) => document.getElementById(id));
    window.addEventListener('hashchange', () => this.route());
    $('.signout').addEventListener('click', () => this.signOut(null));
  }

  boot() {
    const token = window.sessionStorage.getItem(TOKEN_KEY);
    if (token) this.signIn(token);
    else this.showLogin(window.sessionStorage.getItem(NOTICE_KEY));
    window.sessionStorage.removeItem(NOTICE_KEY);
  }

  show(id) {
    for (const section of this.sections) section.hidden = section.id !== id;
    for (const link of document.querySelectorAll('.tabs a')) {
      if (link.dataset.tab === id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  // signing in

  showLogin(error) {
    this.show('login');
    const errorEl = $('.login-error');
    errorEl.hidden = !error;
    setText(errorEl, error);
    const tokenForm = $('.token-login');
    tokenForm.onsubmit = (event) => {
      event.preventDefault();
      const token = tokenForm.elements.token.value.trim();
      if (token) this.signIn(token);
    };
    const passwordForm = $('.password-login');
    passwordForm.onsubmit = async (event) => {
      event.preventDefault();
      const button = passwordForm.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const { token } = await passwordLogin(passwordForm.elements.email.value.trim(), passwordForm.elements.password.value);
        passwordForm.elements.password.value = '';
        this.signIn(token);
      } catch (err) {
        this.showLogin(LOGIN_ERRORS[err.status] || err.message);
      } finally {
        button.disabled = false;
      }
    };
  }

  signIn(token) {
    const claims = tokenClaims(token);
    if (!claims || claims.role !== 'staff' || !claims.businessId) {
      this.showLogin('That is not a staff token: it needs role "staff" and a businessId.');
      return;
    }
    if (claims.exp && claims.exp * 1000 < Date.now()) {
      this.showLogin('That token has expired; sign in again.');
      return;
    }
    window.sessionStorage.setItem(TOKEN_KEY, token);
    this.me = { userId: claims.sub, name: claims.name, businessId: claims.businessId };
    this.api = new Api(token);
    const openChat = (roomId) => {
      window.location.hash = `#/chats/${encodeURIComponent(roomId)}`;
    };
    this.notices = new StaffNotices({ toggle: $('.alerts'), onOpen: openChat });
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    this.conn = new ChatConnection({ url: `${scheme}://${window.location.host}/realtime`, credentials: () => ({ token }) });
    this.list = new ChatList({
      root: $('.room-list'),
      filter: $('#room-filter'),
      more: $('.more-rooms'),
      api: this.api,
      businessId: this.me.businessId,
      me: this.me.userId,
      onOpen: openChat,
      onUnread: (total) => this.notices.unread(total),
      onActivity: (room, isNew) => this.noticeActivity(room, isNew),
    });
    // loaded once here, again after each change in the tab; the reply box offers them under "/"
    this.canned = new CannedResponses({ api: this.api, businessId: this.me.businessId });
    this.conversation = new Conversation({
      root: $('.conversation'), conn: this.conn, api: this.api, me: this.me, list: this.list, canned: this.canned,
    });
    this.faqs = new FaqView({ root: $('#faqs'), api: this.api, businessId: this.me.businessId });
    this.cannedView = new CannedView({ root: $('#canned'), store: this.canned });
    this.analytics = new AnalyticsView({ root: $('#analytics'), api: this.api, businessId: this.me.businessId });
    $('.refresh').addEventListener('click', () => this.list.refresh());
    this.listen();
    $('.tabs').hidden = false;
    $('.session').hidden = false;
    setText($('.whoami'), this.me.name);
    this.renderConnection();
    this.conn.start();
    this.list.start();
    this.canned.load();
    this.route();
  }

  signOut(notice) {
    if (this.conn) this.conn.stop();
    if (this.list) this.list.stop();
    window.sessionStorage.removeItem(TOKEN_KEY);
    if (notice) window.sessionStorage.setItem(NOTICE_KEY, notice);
    window.location.hash = '';
    window.location.reload();
  }

  listen() {
    const conn = this.conn;
    conn.on('ready', (identity) => {
      if (identity.userType !== 'staff') {
        this.signOut('That token does not belong to a staff member.');
        return;
      }
      // business notifications missed while disconnected are not replayed: re-read the list
      this.list.refresh();
      this.conversation.reconnected();
    });
    conn.on('refused', (error) => this.signOut(`The server refused the token: ${error.message || error.code}`));
    conn.on('state', () => this.renderConnection());
    const onMessage = (message) => {
      this.conversation.receive(message);
      this.list.message(message);
    };
    conn.on('chat:new-message', onMessage);
    conn.on('chat:faq-response', onMessage);
    conn.on('chat:room-created', (room) => this.list.roomCreated(room));
    conn.on('chat:room-updated', (data) => {
      this.list.roomUpdated(data);
      if (data && data.roomId === this.conversation.roomId) this.conversation.render();
    });
    conn.on('chat:room-deleted', (data) => {
      if (!data || !data.roomId) return;
      this.conversation.deleted(data.roomId);
      this.list.roomDeleted(data.roomId);
      if (window.location.hash === `#/chats/${encodeURIComponent(data.roomId)}`) window.location.hash = '#/chats';
    });
    conn.on('chat:room-status', (data) => {
      this.list.roomUpdated({ roomId: data.roomId, status: data.status });
      if (data.roomId === this.conversation.roomId) this.conversation.render();
    });
    conn.on('chat:typing', (data) => this.conversation.typingEvent(data));
    conn.on('chat:read', (data) => this.conversation.readEvent(data));
  }

  /** A new conversation, or a visitor's message in a chat that is not on screen: alert. */
  noticeActivity(room, isNew) {
    if (!isNew && room._id === this.list.selectedId && !document.hidden) return;
    const name = displayName(room);
    this.notices.alert({
      title: isNew ? `New conversation with ${name}` : `New message from ${name}`,
      body: room.lastMessage || '',
      roomId: room._id,
    });
  }

  renderConnection() {
    const el = $('.connection');
    const state = this.conn ? this.conn.state : 'idle';
    el.dataset.state = state;
    setText(el, STATE_LABELS[state] || state);
  }

  route() {
    if (!this.conn) return;
    const [, section, id] = (window.location.hash || '#/chats').split('/');
    if (section === 'faqs') {
      this.show('faqs');
      this.faqs.load();
    } else if (section === 'canned') {
      this.show('canned');
      this.cannedView.load(); // a colleague's changes show too
    } else if (section === 'analytics') {
      this.show('analytics');
      this.analytics.load();
    } else {
      this.show('chats');
      // a phone shows one of the two: the list, or the chat the address names (dashboard.css)
      document.getElementById('chats').dataset.screen = id ? 'conversation' : 'list';
      if (id) this.conversation.show(decodeURIComponent(id));
    }
  }
}

new Dashboard().boot();
