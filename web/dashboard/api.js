/*
 * The dashboard's REST client (protocol.md §10): bearer token, JSON in and out, errors as
 * ApiError carrying the HTTP status and the protocol error code.
 */

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

async function call(method, path, { token, query, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`, error.message || response.statusText, error.field);
  }
  return data || {};
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  get(path, query) {
    return call('GET', path, { token: this.token, query });
  }

  post(path, body) {
    return call('POST', path, { token: this.token, body: body || {} });
  }

  patch(path, body) {
    return call('PATCH', path, { token: this.token, body: body || {} });
  }

  del(path) {
    return call('DELETE', path, { token: this.token });
  }
}

/** POST /api/auth/login {email, password} -> {token, expiresIn, staff: {_id, businessId, email, name}}. */
export async function passwordLogin(email, password) {
  const data = await call('POST', '/api/auth/login', { body: { email, password } });
  if (!data.token) throw new ApiError(500, 'internal', 'the server answered without a token');
  return data;
}

/** The claims of a JWT, unverified: only to show who is signed in; the server verifies. */
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
    const json = decodeURIComponent(Array.from(atob(padded), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
    return JSON.parse(json);
  } catch (err) {
    return null;
  }
}
