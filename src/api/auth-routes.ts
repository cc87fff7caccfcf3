import { Router } from 'express';
import { z } from 'zod';
import type { Service } from '../service.js';
import { bearerToken, parse, requireUser, route, userOf } from './middleware.js';

const loginBody = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

export function authRoutes(svc: Service): Router {
  const auth = svc.need('auth');
  const r = Router();
  r.post(
    '/api/auth/login',
    route(async (req, res) => {
      const body = parse(loginBody, req.body);
      const { token, user, expiresAt } = await auth.login(body.username, body.password, req.ip ?? '');
      svc.need('audit').append({
        actor: user.username,
        action: 'login',
        target: `user:${user.username}`,
        detail: { ip: req.ip },
      });
      res.json({ token, expiresAt, user });
    }),
  );
  r.post(
    '/api/auth/logout',
    requireUser(auth),
    route(async (req, res) => {
      const token = bearerToken(req);
      if (token) await auth.logout(token);
      res.status(204).end();
    }),
  );
  r.get(
    '/api/me',
    requireUser(auth),
    route((req, res) => res.json(userOf(req))),
  );
  return r;
}
