import { Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { BoundedLimiter } from '../util/bounded-limiter.js';
import { bearerToken, parse, requireUser, route, userOf } from './middleware.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export function authRoutes(svc: Service): Router {
  const auth = svc.need('auth');
  const audit = svc.need('audit');
  const r = Router();
  const outcomes = svc.metrics.counter('sharpeyes_auth_logins_total', 'Console logins by outcome', [
    'outcome',
  ]);
  // Failed logins are audited once per address a minute (with the count they stand for), 300 a
  // minute in all: a brute force shows in the audit log without filling it.
  const failedRows = new BoundedLimiter({ intervalMs: 60_000, maxKeys: 10_000, overall: 300 });
  r.post(
    '/api/auth/login',
    route(async (req, res) => {
      const body = parse(loginBody, req.body);
      const from = req.ip ?? '';
      let session: Awaited<ReturnType<typeof auth.login>>;
      try {
        session = await auth.login(body.username, body.password, from);
      } catch (err) {
        if (err instanceof HttpError && (err.status === 401 || err.status === 429)) {
          outcomes.inc({ outcome: err.code });
          const d = failedRows.take(`${err.code}|${from}`);
          if (d.allowed)
            await audit.append({
              actor: 'anonymous',
              action: err.status === 429 ? 'login.throttled' : 'login.failed',
              target: `user:${body.username}`,
              detail: {
                ip: from,
                code: err.code,
                ...(d.suppressed > 0 ? { alsoFailedSinceLastRow: d.suppressed } : {}),
              },
            });
        }
        throw err;
      }
      const { token, user, expiresAt } = session;
      outcomes.inc({ outcome: 'ok' });
      await audit.append({
        actor: user.username,
        action: 'login',
        target: `user:${user.username}`,
        detail: { ip: from, session: session.ref },
      });
      res.json({ token, expiresAt, user });
    }),
  );
  r.post(
    '/api/auth/logout',
    requireUser(auth),
    route(async (req, res) => {
      const token = bearerToken(req);
      // Only the call that ended the session writes its row: two logouts of one token at the same
      // instant both passed requireUser, and the one that lost the delete answers 204 as well (the
      // session it asked to end has ended), as a logout one after the other is one row.
      const ended = token ? await auth.logout(token) : undefined;
      if (ended)
        await audit.append({
          actor: userOf(req).username,
          action: 'logout',
          target: `user:${userOf(req).username}`,
          detail: { session: ended },
        });
      res.status(204).end();
    }),
  );
  // The console shows every day, shift, month and time in the city's zones, not the desk PC's own
  // (a PC left on UTC would show another shift): `hall` is the zone of opening hours and dates (the
  // hall's days, shifts and clock times), `months` that of the rated and reported calendar months.
  const zones = { hall: svc.config.schedules.timezone, months: svc.config.ratings.timezone };
  r.get(
    '/api/me',
    requireUser(auth),
    route((req, res) => res.json({ ...userOf(req), zones })),
  );
  return r;
}
