// REST access with the session token. 401 sends the user back to the login screen with a message;
// every other refusal becomes an ApiError whose `message` is a sentence in the user's language made
// from the error `code` (and a bad_request's `details`); the server's English text stays on
// `serverMessage` for support. Optional endpoints (built by other parts of the service) resolve to
// `undefined` when the route does not exist, so views can show "—".
import { errorSentence } from './errors.js';
import { t } from './i18n.js';

const TOKEN_KEY = 'sharpeyes.token';
let token = localStorage.getItem(TOKEN_KEY);
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, code, message, { details, serverMessage, data } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    /** What the server says with the refusal (`error.data`: whose storm, who holds the alarm). */
    this.data = data;
    this.serverMessage = serverMessage;
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

/**
 * Short-lived signed URLs (POST /api/media/sign, about 60 s) for what <img>, <video>, download links
 * and WebSockets fetch without an Authorization header. The session token never goes in a URL.
 */
export async function signUrls(urls) {
  const res = await api('/api/media/sign', { method: 'POST', body: { urls } });
  return res.urls;
}

export async function signUrl(url) {
  if (!url) return url;
  const [signed] = await signUrls([url]);
  return signed;
}

/**
 * Sets `el[attr]` (src or href) to a signed URL of `url`. A <video> that asks again later (a seek, a
 * replay) after its URL expired gets a fresh one, once per error, keeping its position.
 */
export function bindMediaSrc(el, url, attr = 'src') {
  if (!url) return el;
  const apply = async () => {
    el.mediaSignedAt = Date.now();
    const wanted = url;
    el.mediaUrl = wanted;
    try {
      const signed = await signUrl(wanted);
      if (el.mediaUrl === wanted) el[attr] = signed;
    } catch (err) {
      console.warn('console: could not sign a media URL', wanted, err);
    }
  };
  if (el instanceof HTMLMediaElement && !el.mediaResign) {
    el.mediaResign = () => {
      if (!el.mediaUrl || Date.now() - (el.mediaSignedAt ?? 0) < 5000) return;
      const at = el.currentTime;
      void bindMediaSrc(el, el.mediaUrl, attr);
      if (at > 0) el.addEventListener('loadedmetadata', () => (el.currentTime = at), { once: true });
    };
    el.addEventListener('error', el.mediaResign);
  }
  void apply();
  return el;
}

/** Opens a signed download (an export zip) from a click, without the token in any URL. */
export async function downloadSigned(url) {
  const a = document.createElement('a');
  a.href = await signUrl(url);
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
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
  } catch (err) {
    console.warn('console: request failed', path, err);
    throw new ApiError(0, 'network', errorSentence({ code: 'network' }));
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json;
  throw toApiError(res, json, auth);
}

/** The ApiError for a refused response; a 401 on an authenticated call also ends the session. */
export function toApiError(res, json, auth = true) {
  const code = json?.error?.code ?? (res.status >= 500 ? 'internal' : `http_${res.status}`);
  const extra = {
    details: json?.error?.details,
    serverMessage: json?.error?.message,
    data: json?.error?.data,
  };
  if (res.status === 401 && auth) {
    onUnauthorized(t('sessionExpired'));
    return new ApiError(401, code, t('sessionExpired'), extra);
  }
  if (res.status === 401) return new ApiError(401, code, t('badCredentials'), extra);
  if (res.status === 429 && !auth) return new ApiError(429, code, t('rateLimited'), extra);
  return new ApiError(res.status, code, errorSentence({ code, details: extra.details }), extra);
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
