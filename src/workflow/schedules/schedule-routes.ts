import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../../api/middleware.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { hoursSchema } from '../../config/sections/schedules.js';
import { HttpError } from '../../errors.js';
import type { Service } from '../../service.js';
import { localDate } from './opening-hours.js';
import type { ScheduleStore } from './schedule-store.js';

const dateSchema = z.iso.date().describe('A local date, YYYY-MM-DD.');
const changeBody = z.strictObject({
  from: dateSchema,
  to: dateSchema.optional().describe('Last day (inclusive); `from` alone when omitted.'),
  hours: hoursSchema,
  reason: z.string().trim().min(2).max(200),
});
/** A desk change covers at most this many days: a longer one is a new schedule, made in config. */
const MAX_DAYS = 62;
const DAY = 86_400_000;

/**
 * A site's opening hours and the desk's temporary changes to them (issue 17): `GET
 * /api/sites/:id/schedule`, `POST /api/sites/:id/schedule-changes {from, to?, hours, reason}`,
 * `DELETE /api/sites/:id/schedule-changes/:changeId`. Desk roles in the user's scope; audited.
 */
export function scheduleRoutes(
  svc: Service,
  deps: { store: ScheduleStore; audit: AuditLog; now: () => Date },
): Router {
  const r = Router();
  const k = () => svc.need('store').k;
  const cfg = svc.config.schedules;
  const guard = [requireUser(svc.need('auth')), requireRole('admin', 'supervisor', 'operator')];
  r.use('/api/sites/:id/schedule', ...guard);
  r.use('/api/sites/:id/schedule-changes', ...guard);
  const visibleSite = (user: ReturnType<typeof userOf>, id: string) => {
    const site = svc.need('dir').site(id);
    if (!site || !svc.need('access').canSeeSite(user, id))
      throw new HttpError(404, 'not_found', `site ${id} does not exist`);
    return site;
  };
  const today = () => localDate(deps.now().getTime(), cfg.timezone);

  r.get(
    '/api/sites/:id/schedule',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const schedule = cfg.sites[site.id];
      const day = today();
      const deskChanges = schedule ? await deps.store.changes(k(), site.id, day) : [];
      res.json({
        site: site.id,
        timezone: cfg.timezone,
        today: day,
        scheduled: schedule !== undefined,
        hours: schedule?.hours ?? {},
        holidays: [...cfg.holidays, ...(schedule?.holidays ?? [])].filter((d) => d >= day).sort(),
        changes: (schedule?.changes ?? []).filter((c) => (c.to ?? c.from) >= day),
        deskChanges,
        // Who changed the hours at a desk, by name; the site's own user is told no names.
        ...(user.role === 'site' ? {} : { people: svc.need('auth').people.of(deskChanges.map((c) => c.by)) }),
      });
    }),
  );

  r.post(
    '/api/sites/:id/schedule-changes',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const body = parse(changeBody, req.body ?? {});
      const to = body.to ?? body.from;
      if (!cfg.sites[site.id])
        throw new HttpError(
          409,
          'no_schedule',
          `site ${site.id} has no opening hours configured; a temporary change would have nothing to change`,
        );
      if (to < body.from)
        throw new HttpError(400, 'bad_range', `\`to\` ${to} is before \`from\` ${body.from}`);
      const days = (Date.parse(to) - Date.parse(body.from)) / DAY + 1;
      if (days > MAX_DAYS)
        throw new HttpError(
          400,
          'bad_range',
          `a temporary change covers at most ${MAX_DAYS} days, not ${days}; change the schedule instead`,
          { maxDays: MAX_DAYS },
        );
      const day = today();
      if (body.from < day)
        throw new HttpError(400, 'date_past', `${body.from} is before today (${day}, ${cfg.timezone})`, {
          today: day,
        });
      const at = deps.now().toISOString();
      const change = { site: site.id, from: body.from, to, hours: body.hours, reason: body.reason };
      const id = await deps.store.addChange(k(), { ...change, by: user.username, at });
      await deps.audit.append({
        actor: user.username,
        action: 'site.schedule_change.add',
        target: `site:${site.id}`,
        detail: { id, ...change },
      });
      res.status(201).json({ id, ...change, by: user.username, at });
    }),
  );

  r.delete(
    '/api/sites/:id/schedule-changes/:changeId',
    route(async (req, res) => {
      const user = userOf(req);
      const site = visibleSite(user, String(req.params['id']));
      const id = String(req.params['changeId']);
      if (!(await deps.store.deleteChange(k(), site.id, id, deps.now().toISOString())))
        throw new HttpError(404, 'not_found', `site ${site.id} has no schedule change ${id}`);
      await deps.audit.append({
        actor: user.username,
        action: 'site.schedule_change.delete',
        target: `site:${site.id}`,
        detail: { id },
      });
      res.json({ id, deleted: true });
    }),
  );
  return r;
}
