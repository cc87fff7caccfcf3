import { Router } from 'express';
import { z } from 'zod';
import { MAX_PASSWORD, type UserAction, UserAdmin, usernameProblem } from '../auth/user-admin.js';
import type { Service } from '../service.js';
import { ROLES } from '../store/repositories.js';
import { parse, requireRole, requireUser, route, userOf } from './middleware.js';
import { sendSliced } from './sliced-json.js';

const username = z.string().min(1).max(64);
/** A new username, trimmed (see `usernameProblem`). */
const newUsername = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((s) => usernameProblem(s) === undefined, {
    message: 'a username may not hold spaces, slashes, control or invisible characters',
    params: { reason: 'username_shape' },
  });
const reason = z.string().trim().max(500).optional();
const displayName = z.string().trim().max(100);
const scope = z.string().trim().min(1).max(64);
const reasonBody = z.strictObject({ reason });
const passwordBody = z.strictObject({
  password: z.string().min(1).max(MAX_PASSWORD),
  reason,
});
const createBody = z.strictObject({
  username: newUsername,
  password: z.string().min(1).max(MAX_PASSWORD),
  role: z.enum(ROLES),
  scope,
  displayName: displayName.optional(),
});
/** The users page's search, filters and paging; without `limit` every matching user, as before paging. */
const listQuery = z.strictObject({
  q: z.string().trim().max(100).optional(),
  role: z.enum(ROLES).optional(),
  status: z.enum(['enabled', 'disabled']).optional(),
  scopeMissing: z.enum(['true', 'false']).optional(),
  sameName: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});
const updateBody = z
  .strictObject({
    role: z.enum(ROLES).optional(),
    scope: scope.optional(),
    displayName: displayName.nullable().optional(),
    reason,
  })
  .refine((b) => b.role !== undefined || b.scope !== undefined || b.displayName !== undefined, {
    message: 'give at least one of role, scope and displayName',
    params: { reason: 'nothing_to_change' },
  });

/**
 * The admin users page's API (admins only, limited to the users scoped in their subtree):
 * `GET /api/users?q=&role=&status=&scopeMissing=&sameName=&limit=&offset=`, `POST /api/users {username, password, role, scope, displayName?}`,
 * `PATCH /api/users/:username {role?, scope?, displayName?, reason?}`,
 * `POST /api/users/:username/{disable,enable,revoke}` `{reason?}` and
 * `POST /api/users/:username/password {password, reason?}`. Each change is audited and ends the
 * user's sessions where it should (disable, revoke, password, a new role or scope), closing their
 * sockets at once.
 */
export function userRoutes(svc: Service): Router {
  const r = Router();
  const admin = new UserAdmin(svc.need('auth'), svc.need('audit'), svc.need('dir'));
  r.use('/api/users', requireUser(svc.need('auth')), requireRole('admin'));

  r.get(
    '/api/users',
    route(async (req, res) => {
      const q = parse(listQuery, req.query, 'query');
      const { users, ...page } = await admin.search(userOf(req), {
        ...q,
        scopeMissing: q.scopeMissing === undefined ? undefined : q.scopeMissing === 'true',
        sameName: q.sameName === undefined ? undefined : q.sameName === 'true',
      });
      // Without a limit, a district's thousands of owner accounts: sent a slice at a time (sendSliced).
      await sendSliced(res, page, 'users', users, (u) => u);
    }),
  );

  r.post(
    '/api/users',
    route(async (req, res) => {
      const body = parse(createBody, req.body ?? {});
      res.status(201).json({ user: await admin.create({ kind: 'user', user: userOf(req) }, body) });
    }),
  );

  r.patch(
    '/api/users/:username',
    route(async (req, res) => {
      const name = parse(username, String(req.params['username']), 'path.username');
      // Out of scope is a 404 before anything else is said about the request.
      await admin.target({ kind: 'user', user: userOf(req) }, name);
      const body = parse(updateBody, req.body ?? {});
      res.json(await admin.update({ kind: 'user', user: userOf(req) }, name, body));
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
