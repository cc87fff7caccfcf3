import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../../api/middleware.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { STORM_CATEGORIES } from '../../config/sections/workflow.js';
import { HttpError } from '../../errors.js';
import type { Service } from '../../service.js';
import { takeTurn } from '../../store/turns.js';
import type { Storm, StormStore } from './storm-store.js';

const startBody = z.strictObject({
  node: z.string().min(1).max(64).describe('A jurisdiction node in the supervisor’s scope.'),
  categories: z.array(z.enum(STORM_CATEGORIES)).min(1),
  action: z.enum(['demote', 'hold']),
  minutes: z.number().int().min(1),
  reason: z.string().trim().min(2).max(200),
});

/** `GET/POST /api/storms`, `DELETE /api/storms/:id` (supervisors; issue 17 storm mode). */
export function stormRoutes(
  svc: Service,
  deps: { store: StormStore; audit: AuditLog; now: () => Date; release: () => Promise<void> },
): Router {
  const r = Router();
  const k = () => svc.need('store').k;
  const max = svc.config.workflow.storm.maxMinutes;
  r.use('/api/storms', requireUser(svc.need('auth')), requireRole('admin', 'supervisor'));
  const inScope = (user: ReturnType<typeof userOf>, node: string) =>
    svc.need('dir').tree.has(node) && svc.need('dir').tree.within(node, user.scope);

  r.get(
    '/api/storms',
    route(async (req, res) => {
      const user = userOf(req);
      const storms = (await deps.store.recent(k(), 50)).filter((s) => inScope(user, s.node));
      res.json({ storms, people: svc.need('auth').people.of(storms.map((s) => s.by)) });
    }),
  );

  r.post(
    '/api/storms',
    route(async (req, res) => {
      const user = userOf(req);
      const body = parse(startBody, req.body ?? {});
      if (!inScope(user, body.node))
        throw new HttpError(404, 'not_found', `jurisdiction ${body.node} does not exist`);
      if (body.minutes > max)
        throw new HttpError(400, 'too_long', `storm mode lasts at most ${max} minutes, not ${body.minutes}`, {
          maxMinutes: max,
        });
      // Two supervisors answering one outage from two desks start one storm: the second is told who
      // turned it on (the same area, the same action, every category already covered).
      const categories = [...new Set(body.categories)];
      // The look and the start in one transaction, and on PostgreSQL under one lock: desks clicking at
      // the same instant (on one node or several) start one storm.
      const started = await k()
        .transaction()
        .execute(async (tx): Promise<{ same: Storm } | { storm: Storm }> => {
          await takeTurn(tx, svc.need('store').dialect, 'storms');
          // The time is read once the turn is ours, and a storm another desk started is seen even if
          // its start looks later than this clock (a request read the time first but came second,
          // or another node's clock is ahead).
          const now = deps.now();
          const same = (await deps.store.notOver(tx, now.toISOString())).find(
            (s) =>
              s.node === body.node &&
              s.action === body.action &&
              categories.every((c) => s.categories.includes(c)),
          );
          if (same) return { same };
          const storm = await deps.store.start(tx, {
            node: body.node,
            categories,
            action: body.action,
            reason: body.reason,
            by: user.username,
            startedAt: now.toISOString(),
            endsAt: new Date(now.getTime() + body.minutes * 60_000).toISOString(),
          });
          return { storm };
        });
      if ('same' in started) {
        const { same } = started;
        throw new HttpError(
          409,
          'storm_in_force',
          `storm mode (${same.action} ${same.categories.join(', ')}) is already on for ${same.node}, by ${same.by} until ${same.endsAt}`,
          { storm: same.id, by: same.by, endsAt: same.endsAt },
        );
      }
      const { storm } = started;
      await deps.audit.append({
        actor: user.username,
        action: 'storm.start',
        target: `jurisdiction:${body.node}`,
        detail: { ...storm },
      });
      res.status(201).json(storm);
    }),
  );

  r.delete(
    '/api/storms/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      const storm = await deps.store.get(k(), id);
      if (!storm || !inScope(user, storm.node))
        throw new HttpError(404, 'not_found', `storm ${id} does not exist`);
      if (!(await deps.store.end(k(), id, user.username, deps.now().toISOString())))
        throw new HttpError(409, 'already_ended', `storm ${id} has already ended`);
      await deps.audit.append({
        actor: user.username,
        action: 'storm.end',
        target: `jurisdiction:${storm.node}`,
        detail: { id },
      });
      // What it held is decided now, not at the next tick.
      await deps.release();
      res.json({ ...(await deps.store.get(k(), id)), held: await deps.store.heldCount(k(), id) });
    }),
  );
  return r;
}
