import { Router } from 'express';
import { z } from 'zod';
import { MAX_PASSWORD, type UserAction, UserAdmin } from '../auth/user-admin.js';
import type { Service } from '../service.js';
import { parse, requireRole, requireUser, route, userOf } from './middleware.js';

const username = z.string().min(1).max(64);
const reasonBody = z.strictObject({ reason: z.string().trim().max(500).optional() });
const passwordBody = z.strictObject({
  password: z.string().min(1).max(MAX_PASSWORD),
  reason: z.string().trim().max(500).optional(),
});

/**
 * The admin users page's API (admins only, limited to the users scoped in their subtree):
 * `GET /api/users`, `POST /api/users/:username/{disable,enable,revoke}` `{reason?}` and
 * `POST /api/users/:username/password {password, reason?}`. Each change is audited and ends the
 * user's sessions where it should (disable, revoke, password), closing their sockets at once.
 */
export function userRoutes(svc: Service): Router {
  const r = Router();
  const admin = new UserAdmin(svc.need('auth'), svc.need('audit'), svc.need('dir'));
  r.use('/api/users', requireUser(svc.need('auth')), requireRole('admin'));

  r.get(
    '/api/users',
    route(async (req, res) => {
      res.json({ users: await admin.list({ kind: 'user', user: userOf(req) }) });
    }),
  );

  const act = (action: Exclude<UserAction, 'passwd'>) =>
    route(async (req, res) => {
      const name = parse(username, String(req.params['username']), 'path.username');
      // Out of scope is a 404 before anything else is said about the request.
      await admin.target({ kind: 'user', user: userOf(req) }, name);
      const body = parse(reasonBody, req.body ?? {});
      res.json(
        await admin.apply(
          { kind: 'user', user: userOf(req) },
          name,
          action,
          body.reason ? { reason: body.reason } : {},
        ),
      );
    });
  r.post('/api/users/:username/disable', act('disable'));
  r.post('/api/users/:username/enable', act('enable'));
  r.post('/api/users/:username/revoke', act('revoke'));
  r.post(
    '/api/users/:username/password',
    route(async (req, res) => {
      const name = parse(username, String(req.params['username']), 'path.username');
      await admin.target({ kind: 'user', user: userOf(req) }, name);
      const body = parse(passwordBody, req.body ?? {});
      res.json(
        await admin.apply({ kind: 'user', user: userOf(req) }, name, 'passwd', {
          password: body.password,
          ...(body.reason ? { reason: body.reason } : {}),
        }),
      );
    }),
  );
  return r;
}
