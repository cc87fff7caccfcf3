import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../../api/middleware.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { siteViewOf } from '../../auth/people-names.js';
import { HttpError } from '../../errors.js';
import type { Service } from '../../service.js';
import type { User } from '../../store/repositories.js';
import { takeTurn } from '../../store/turns.js';
import type { TestMode, TestModeStore } from './test-mode-store.js';

const startBody = z.strictObject({
  minutes: z.number().int().min(1),
  reason: z.string().trim().min(2).max(200),
  panel: z.string().min(1).max(64).optional().describe('Only this panel of the site.'),
});
const endQuery = z.strictObject({ panel: z.string().min(1).max(64).optional() });

/**
 * `POST /api/sites/:id/test-mode {minutes, reason, panel?}`, `DELETE` to end it, `GET` for the modes
 * in force and the recent ones with the events each took (issue 17). While a site is on test its
 * events are stored and listed here, open no incident (no `incident:new`), never ring or dispatch.
 */
export function testModeRoutes(
  svc: Service,
  deps: {
    store: TestModeStore;
    audit: AuditLog;
    now: () => Date;
    announce: (site: string, mode: TestMode, started: boolean) => void;
  },
): Router {
  const r = Router();
  const k = () => svc.need('store').k;
  const max = svc.config.workflow.testMode.maxMinutes;
  r.use(
    '/api/sites/:id/test-mode',
    requireUser(svc.need('auth')),
    requireRole('admin', 'supervisor', 'operator', 'site'),
  );
  const visibleSite = (user: ReturnType<typeof userOf>, id: string) => {
    const site = svc.need('dir').site(id);
    if (!site || !svc.need('access').canSeeSite(user, id))
      throw new HttpError(404, 'not_found', `site ${id} does not exist`);
    return site;
  };

  // A site's own user reads who put it on test or ended it as the desk's station, never a police
  // login (README "Who acted, by name"); their own login stays.
  const asSite = siteViewOf(svc);
  const seenBy =
    (user: User) =>
    (m: TestMode): TestMode =>
      user.role !== 'site'
        ? m
        : { ...m, by: asSite(m.by), ...(m.endedBy ? { endedBy: asSite(m.endedBy) } : {}) };

  r.get(
    '/api/sites/:id/test-mode',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const at = deps.now().toISOString();
      const active = (await deps.store.inForce(k(), site.id, at)).map(seenBy(user));
      const recent = (await deps.store.history(k(), site.id, 20)).map(seenBy(user));
      // The desks read who put the site on test by name; the site's own user is told no names.
      // A site user may have put it on test: `named` reads their name, the staff's come from memory.
      const people =
        user.role === 'site'
          ? undefined
          : await svc
              .need('auth')
              .people.named([...active, ...recent].flatMap((m) => (m.endedBy ? [m.by, m.endedBy] : [m.by])));
      res.json({ site: site.id, active, recent, ...(people ? { people } : {}) });
    }),
  );

  r.post(
    '/api/sites/:id/test-mode',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const body = parse(startBody, req.body ?? {});
      if (body.minutes > max)
        throw new HttpError(400, 'too_long', `test mode lasts at most ${max} minutes, not ${body.minutes}`, {
          maxMinutes: max,
        });
      if (body.panel && svc.need('dir').panel(body.panel)?.site !== site.id)
        throw new HttpError(400, 'bad_panel', `panel ${body.panel} is not at site ${site.id}`);
      // The new mode replaces the one in force, under the site's turn (on PostgreSQL the lock the
      // site's event decisions take): two desks starting test mode at once leave one mode, the
      // second's, and an alarm of the site is decided before or after, not between. The time is read
      // once the turn is ours.
      const mode = await k()
        .transaction()
        .execute(async (tx) => {
          await takeTurn(tx, svc.need('store').dialect, 'site', site.id);
          const now = deps.now();
          return deps.store.start(tx, {
            site: site.id,
            ...(body.panel ? { panel: body.panel } : {}),
            reason: body.reason,
            by: user.username,
            at: now.toISOString(),
            endsAt: new Date(now.getTime() + body.minutes * 60_000).toISOString(),
          });
        });
      await deps.audit.append({
        actor: user.username,
        action: 'site.test_mode.start',
        target: `site:${site.id}`,
        detail: {
          id: mode.id,
          minutes: body.minutes,
          reason: body.reason,
          panel: body.panel,
          endsAt: mode.endsAt,
        },
      });
      deps.announce(site.id, mode, true);
      res.status(201).json(mode);
    }),
  );

  r.delete(
    '/api/sites/:id/test-mode',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const q = parse(endQuery, req.query, 'query');
      const ended = await deps.store.end(k(), site.id, q.panel, user.username, deps.now().toISOString());
      if (ended.length === 0)
        throw new HttpError(
          404,
          'not_in_test',
          `site ${site.id} is not on test${q.panel ? ` (panel ${q.panel})` : ''}`,
        );
      for (const m of ended)
        await deps.audit.append({
          actor: user.username,
          action: 'site.test_mode.end',
          target: `site:${site.id}`,
          detail: { id: m.id, panel: m.panel, endedAt: m.endedAt },
        });
      for (const m of ended) deps.announce(site.id, m, false);
      res.json({ ended: ended.map(seenBy(user)) });
    }),
  );
  return r;
}
