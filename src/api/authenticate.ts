import type { Request } from 'express';
import type { AuthService, AuthSession } from '../auth/auth-service.js';
import { looksLikeMediaToken } from '../auth/media-urls.js';
import { HttpError } from '../errors.js';

/** The request target split as it arrived: the raw path (no decoding, no dot-segment removal) and query. */
function target(req: Request): { path: string; params: URLSearchParams } {
  const raw = req.originalUrl || req.url || '/';
  const q = raw.indexOf('?');
  return {
    path: q === -1 ? raw : raw.slice(0, q),
    params: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
  };
}

/** The session token of the Authorization header, the only place a session token is accepted. */
export function headerToken(req: { headers: { authorization?: string | undefined } }): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

const unauthenticated = () =>
  new HttpError(401, 'unauthenticated', 'not logged in, or the session has ended: log in again');

/**
 * Who sent the request: a session token in `Authorization: Bearer`, or — for a GET of a media path
 * only — a signed media URL (`?token=m1.…`, see src/auth/media-urls.ts) whose session is still live.
 * A session token in the query string is refused with `token_in_url`, whatever the route.
 */
export async function authenticate(auth: AuthService, req: Request): Promise<AuthSession> {
  const bearer = headerToken(req);
  if (bearer !== undefined) {
    const s = await auth.resolveSession(bearer);
    if (!s) throw unauthenticated();
    return s;
  }
  const { path, params } = target(req);
  const token = params.get('token');
  if (token === null) throw unauthenticated();
  if (!looksLikeMediaToken(token))
    throw new HttpError(
      401,
      'token_in_url',
      'a session token is not accepted in a URL: send it as "Authorization: Bearer", or get a signed media URL from POST /api/media/sign',
    );
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(401, 'media_url_invalid', 'a signed media URL only fetches (GET)');
  const v = auth.mediaUrls.verify(path, params, token);
  if (!v.ok) throw new HttpError(401, v.code, v.message);
  const s = await auth.sessionByRef(v.ref);
  if (!s)
    throw new HttpError(
      401,
      'session_ended',
      'the session this media URL was signed for has ended: log in again',
    );
  return s;
}
