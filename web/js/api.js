// REST access with the session token. 401 sends the user back to the login screen with a message;
// 429 and other errors become ApiError with the server's message. Optional endpoints (built by other
// parts of the service) resolve to `undefined` when the route does not exist, so views can show "—".
import { t } from './i18n.js';

const TOKEN_KEY = 'sharpeyes.token';
let token = localStorage.getItem(TOKEN_KEY);
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getToken() {
  return token;
}

export function setToken(next) {
  token = next;
  if (next) localStorage.setItem(TOKEN_KEY, next);
  else localStorage.removeItem(TOKEN_KEY);
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** Adds the token as a query parameter, for <img>, <video> and downloads that cannot send headers. */
export function withToken(url) {
  if (!url || !token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export async function api(path, { method = 'GET', body, auth = true } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth && token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network', t('networkError'));
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json;
  const code = json?.error?.code ?? 'http';
  if (res.status === 401 && auth) {
    onUnauthorized(t('sessionExpired'));
    throw new ApiError(401, code, t('sessionExpired'));
  }
  if (res.status === 401) throw new ApiError(401, code, t('badCredentials'));
  if (res.status === 429) throw new ApiError(429, code, t('rateLimited'));
  if (res.status === 403) throw new ApiError(403, code, `${t('forbidden')}: ${json?.error?.message ?? ''}`);
  throw new ApiError(res.status, code, json?.error?.message ?? `${res.status} ${res.statusText}`);
}

/** GET of a route another part may not have built yet: `undefined` on 404 `no route` or 501. */
export async function optional(path) {
  try {
    return await api(path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 501 || err.status === 0))
      return undefined;
    throw err;
  }
}
