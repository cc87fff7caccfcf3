import { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { parse, requireUser, route } from './middleware.js';

const signBody = z.strictObject({
  urls: z
    .array(z.string().min(1).max(2000))
    .min(1)
    .max(50)
    .describe('Same-origin media paths with their query.'),
});

/**
 * `POST /api/media/sign {urls}` → `{urls, expiresAt}`: short-lived signed URLs for what a `<video>`,
 * `<img>`, download link or WebSocket must fetch without an Authorization header (src/auth/media-urls.ts).
 * Only a session token in the header can sign: a signed URL cannot sign more URLs. Scope is checked
 * when a URL is used, by the route it names, as for any request of that user.
 */
export function mediaRoutes(svc: Service): Router {
  const r = Router();
  const auth = svc.need('auth');
  const signed = svc.metrics.counter('sharpeyes_media_urls_signed_total', 'Signed media URLs issued');
  r.post(
    '/api/media/sign',
    requireUser(auth),
    route((req, res) => {
      const session = req.authSession;
      if (!session || session.via !== 'bearer')
        throw new HttpError(
          401,
          'unauthenticated',
          'sign media URLs with the session token in the Authorization header',
        );
      const body = parse(signBody, req.body ?? {});
      const out = body.urls.map((u) => auth.mediaUrls.sign(session.ref, u));
      signed.inc(out.length);
      res.json({
        urls: out.map((o) => o.url),
        expiresAt: out[0]?.expiresAt,
        ttlSeconds: auth.mediaUrls.ttlSeconds,
      });
    }),
  );
  return r;
}
