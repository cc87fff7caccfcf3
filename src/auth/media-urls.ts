import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../errors.js';

/**
 * What a signed media URL may point at: footage and stills a `<video>`, `<img>`, download link or
 * WebSocket fetches without being able to send an Authorization header. Nothing else is signed.
 */
export const MEDIA_PATHS: readonly RegExp[] = [
  /^\/live\/[^/]+\/?$/,
  /^\/api\/live\/[^/]+\/frame\.jpg$/,
  /^\/api\/cameras\/[^/]+\/snapshot$/,
  /^\/api\/recordings\/play$/,
  /^\/api\/clips\/[^/]+$/,
  /^\/api\/clips\/[^/]+\/snapshot$/,
  /^\/api\/exports\/[^/]+\/download$/,
  /^\/api\/incidents\/[^/]+\/verification\/frame$/,
];

/** Query parameters left out of the signature: the token itself and cache busters (`t`, `ts`). */
const UNSIGNED = new Set(['token', 't', 'ts']);
const PREFIX = 'm1';
const TOKEN = /^m1\.([0-9a-f]{32})\.(\d{10})\.([A-Za-z0-9_-]{43})$/;
/** Clock difference tolerated between the node that signed and the node that checks. */
const SKEW_MS = 5_000;

export const isMediaPath = (pathname: string): boolean => MEDIA_PATHS.some((re) => re.test(pathname));

/** Whether a `token` query value is a media token (as opposed to a session token pasted into a URL). */
export const looksLikeMediaToken = (token: string): boolean => token.startsWith(`${PREFIX}.`);

/** The signed part of a query: every parameter but the unsigned ones, sorted, re-encoded. */
function canonicalQuery(params: URLSearchParams): string {
  const kept = [...params].filter(([k]) => !UNSIGNED.has(k));
  kept.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return new URLSearchParams(kept).toString();
}

/** The path with dot segments resolved, as a browser would send it; a raw path that differs is a trick. */
function normalisedPath(path: string): string {
  return new URL(path, 'http://media.invalid').pathname;
}

export type MediaVerdict =
  | { ok: true; ref: string; expiresAtMs: number }
  | { ok: false; code: 'media_url_malformed' | 'media_url_expired' | 'media_url_invalid'; message: string };

/**
 * Short-lived signed media URLs: `token=m1.<session ref>.<expiry, unix s>.<HMAC-SHA256>` over the
 * path, the other query parameters and the expiry, so a URL works for one thing, for one session
 * (whose user is checked when it is used) and for `ttlSeconds`. It replaces session tokens in URLs,
 * which end up in history, logs and Referer headers and lived for 12 hours.
 */
export class MediaUrls {
  constructor(
    private readonly key: Buffer,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    if (key.length < 32) throw new RangeError('media-urls: the HMAC key must be at least 32 bytes');
  }

  private mac(ref: string, exp: number, path: string, query: string): Buffer {
    return createHmac('sha256', this.key).update([PREFIX, ref, exp, path, query].join('\n')).digest();
  }

  /** Signs a same-origin relative URL of a media path for the session `ref`; a 400 for anything else. */
  sign(ref: string, url: string): { url: string; expiresAt: string } {
    if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//') || url.includes('\\'))
      throw new HttpError(
        400,
        'not_media',
        `only a path of this server can be signed, not ${JSON.stringify(String(url).slice(0, 80))}`,
      );
    const u = new URL(url, 'http://media.invalid');
    const path = u.pathname;
    if (!isMediaPath(path))
      throw new HttpError(
        400,
        'not_media',
        `${path.slice(0, 120)} is not a media URL (live video, playback, clip, snapshot or export download)`,
      );
    u.searchParams.delete('token');
    const exp = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const sig = this.mac(ref, exp, path, canonicalQuery(u.searchParams)).toString('base64url');
    u.searchParams.append('token', `${PREFIX}.${ref}.${exp}.${sig}`);
    return { url: `${path}?${u.searchParams.toString()}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Checks `token` against the raw request path and query; the session itself is checked by the caller. */
  verify(rawPath: string, params: URLSearchParams, token: string): MediaVerdict {
    const m = TOKEN.exec(token);
    if (!m) return { ok: false, code: 'media_url_malformed', message: 'the media URL token is malformed' };
    const [, ref = '', expText = '', sigText = ''] = m;
    const exp = Number(expText);
    const t = this.now();
    if (exp * 1000 + SKEW_MS <= t)
      return {
        ok: false,
        code: 'media_url_expired',
        message: 'the media URL has expired; ask for a new one',
      };
    if (exp * 1000 - t > this.ttlSeconds * 1000 + SKEW_MS)
      return {
        ok: false,
        code: 'media_url_invalid',
        message: 'the media URL expires later than any URL this server signs',
      };
    const path = normalisedPath(rawPath);
    if (path !== rawPath || !isMediaPath(path))
      return { ok: false, code: 'media_url_invalid', message: 'the media URL does not match its signature' };
    const want = this.mac(ref, exp, path, canonicalQuery(params));
    const got = Buffer.from(sigText, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return { ok: false, code: 'media_url_invalid', message: 'the media URL does not match its signature' };
    return { ok: true, ref, expiresAtMs: exp * 1000 };
  }
}
