import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { visibleIncident } from '../api/incidents-routes.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { siteViewOf, viewFor } from '../auth/people-names.js';
import type { IncidentChange } from '../bus.js';
import { incidentViewer } from '../core/incident-extend.js';
import type { Incident } from '../core/incident-types.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { IncidentSummary, Tx } from '../store/decision-store.js';
import type { User } from '../store/repositories.js';
import { CALL_RESULTS, type CallStore } from './calls/call-store.js';
import type { Confirmations } from './confirm/confirmations.js';
import type { NotificationStore } from './notify/notification-store.js';
import type { Notifier } from './notify/notifier.js';
import type { WorkflowStores } from './workflow-hooks.js';
import { callListOf } from './workflow-view.js';

const stepBody = z.strictObject({
  outcome: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an outcome such as "reached"'),
  note: z.string().trim().max(2000).optional(),
});
const callBody = z.strictObject({
  contact: z.number().int().min(0).max(99).describe('Position in the incident’s callList.'),
  result: z.enum(CALL_RESULTS),
  note: z.string().trim().max(2000).optional(),
});
const takeBody = z.strictObject({ takeover: z.boolean().optional() });
const notifyBody = z.strictObject({
  contact: z.number().int().min(0).max(99).describe('Position in the incident’s callList.'),
  channel: z.string().min(1).max(64).optional().describe('Only this notifier channel.'),
  note: z.string().trim().max(200).optional().describe('Added to the message.'),
});

function mustAct(user: User): void {
  if (user.role === 'site' || user.role === 'investigator')
    throw new HttpError(403, 'forbidden', `role ${user.role} cannot change incidents`);
}

/**
 * The operator's side of the workflow on an incident (issue 17): plan steps, calls down the call
 * list, taking and releasing it. Every change goes through `core.apply`: its rows and the outbox row
 * announcing it (audit, sockets) commit together.
 */
export function workflowIncidentRoutes(
  svc: Service,
  s: WorkflowStores & {
    calls: CallStore;
    confirmations: Confirmations;
    notifier: Notifier;
    notifications: NotificationStore;
  },
  now: () => Date,
): Router {
  const r = Router();
  const core = () => svc.need('core');
  const viewer = incidentViewer(svc.parts);
  const people = svc.need('auth').people;
  const asSite = siteViewOf(svc);
  /** The incident as `user` sees it: annotated, with `people` for staff roles, logins as nodes for site users. */
  const view = async (inc: Incident, user: User) => viewFor(people, user.role, await viewer(inc), asSite);
  const cfg = svc.config;
  r.use('/api/incidents', requireUser(svc.need('auth')));

  /** A panic (or duress) whose call-backs are not answered is confirmed (the caller may be under threat). */
  const panicCallback = async (
    tx: Tx,
    inc: IncidentSummary,
    by: string,
    at: string,
  ): Promise<IncidentChange[]> => {
    const rule = s.confirmations.ruleOf('panic_callback');
    if (!rule) return [];
    const panic = await tx
      .selectFrom('incident_events as ie')
      .innerJoin('events as e', 'e.key', 'ie.event_key')
      .select('e.key')
      .where('ie.incident_id', '=', inc.id)
      .where('e.type', 'in', ['panic', 'duress'])
      .limit(1)
      .executeTakeFirst();
    if (!panic) return [];
    const calls = (await s.calls.many(tx, [inc.id])).get(inc.id) ?? [];
    if (calls.some((c) => c.result === 'reached')) return [];
    const unanswered = calls.filter((c) => c.result === 'no_answer' || c.result === 'busy').length;
    if (unanswered < rule.unansweredCalls) return [];
    return s.confirmations.confirm(
      tx,
      inc,
      { rule: rule.name, kind: 'panic_callback', by, at, eventKey: panic.key, detail: { unanswered } },
      inc.confirmed,
    );
  };

  r.post(
    '/api/incidents/:id/steps/:stepId',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(stepBody, req.body ?? {});
      const stepId = String(req.params['stepId']);
      const plan = await s.plans.get(svc.need('store').k, inc.id);
      const step = plan?.steps.find((st) => st.id === stepId);
      if (!step) throw new HttpError(404, 'not_found', `incident ${inc.id} has no step ${stepId}`);
      if (!step.outcomes.includes(body.outcome))
        throw new HttpError(
          400,
          'bad_outcome',
          `step ${stepId} takes one of ${step.outcomes.join(', ')}, not ${body.outcome}`,
          { outcomes: step.outcomes },
        );
      const at = now().toISOString();
      const out = await core().apply(inc.id, user.username, async (tx, summary) => {
        await s.plans.setOutcome(tx, inc.id, {
          stepId,
          outcome: body.outcome,
          note: body.note ?? null,
          by: user.username,
          at,
        });
        const more: IncidentChange[] = [];
        // Video review that sees a person confirms; the operator's forward is recorded with its evidence.
        const person = s.confirmations.ruleOf('video_person');
        if (step.kind === 'review_video' && body.outcome === 'person_seen' && person)
          more.push(
            ...(await s.confirmations.confirm(
              tx,
              summary,
              {
                rule: person.name,
                kind: 'video_person',
                by: user.username,
                at,
                detail: { step: stepId, ...(body.note ? { note: body.note } : {}) },
              },
              summary.confirmed,
            )),
          );
        if (step.kind === 'forward_station' && body.outcome === 'forwarded')
          more.push(
            ...(await s.confirmations.forward(tx, summary, {
              rule: 'operator',
              kind: 'video_person',
              by: user.username,
              at,
            })),
          );
        return [
          ...more,
          {
            kind: 'workflow',
            what: 'step',
            by: user.username,
            detail: { step: stepId, outcome: body.outcome, ...(body.note ? { note: body.note } : {}) },
          },
        ];
      });
      res.json(await view(out, user));
    }),
  );

  r.post(
    '/api/incidents/:id/calls',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(callBody, req.body ?? {});
      const contact = callListOf(cfg, svc.need('dir'), inc.site)[body.contact];
      if (!contact)
        throw new HttpError(400, 'bad_contact', `site ${inc.site} has no contact ${body.contact}`);
      const at = now().toISOString();
      const out = await core().apply(inc.id, user.username, async (tx, summary) => {
        await s.calls.add(tx, inc.id, {
          contact: body.contact,
          name: contact.name,
          phone: contact.phone,
          ...(contact.role ? { role: contact.role } : {}),
          result: body.result,
          ...(body.note ? { note: body.note } : {}),
          by: user.username,
          at,
        });
        const changes: IncidentChange[] = [
          {
            kind: 'workflow',
            what: 'call',
            by: user.username,
            detail: { contact: body.contact, name: contact.name, role: contact.role, result: body.result },
          },
        ];
        // The call steps follow the calls: the keyholder's for a keyholder, the site's otherwise; a
        // step once `reached` keeps it.
        const plan = await s.plans.get(tx, inc.id);
        const keyholderStep = plan?.steps.find((st) => st.kind === 'call_keyholder');
        const step =
          contact.role === 'keyholder' && keyholderStep
            ? keyholderStep
            : plan?.steps.find((st) => st.kind === 'call_site');
        if (step) {
          const done = (await s.plans.outcomes(tx, inc.id)).find((o) => o.stepId === step.id);
          if (done?.outcome !== 'reached' && step.outcomes.includes(body.result)) {
            await s.plans.setOutcome(tx, inc.id, {
              stepId: step.id,
              outcome: body.result,
              note: `${contact.name} ${contact.phone}`,
              by: user.username,
              at,
            });
            changes.push({
              kind: 'workflow',
              what: 'step',
              by: user.username,
              detail: { step: step.id, outcome: body.result, via: 'call' },
            });
          }
        }
        changes.push(...(await panicCallback(tx, summary, user.username, at)));
        return changes;
      });
      res.status(201).json(await view(out, user));
    }),
  );

  // The operator's notify button: the contact is told through the configured notifiers now; the
  // delivery (sent, retried, failed) shows on the incident like the rules' notifications.
  r.post(
    '/api/incidents/:id/notify',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(notifyBody, req.body ?? {});
      const contact = callListOf(cfg, svc.need('dir'), inc.site)[body.contact];
      if (!contact)
        throw new HttpError(400, 'bad_contact', `site ${inc.site} has no contact ${body.contact}`);
      const channels = s.notifier.channels();
      if (body.channel && !channels.some((c) => c.id === body.channel))
        throw new HttpError(400, 'bad_channel', `no notifier channel ${body.channel}`, {
          channels: channels.map((c) => c.id),
        });
      const rows = s.notifier.manual(`m${randomUUID()}`, inc, body.contact, {
        ...(body.channel ? { channel: body.channel } : {}),
        ...(body.note ? { note: body.note } : {}),
      });
      if (rows.length === 0)
        throw new HttpError(
          409,
          'no_channel',
          `${contact.name} cannot be reached by any configured notifier${body.channel ? ` on ${body.channel}` : ''}`,
          { channels: channels.map((c) => c.id) },
        );
      const at = now().toISOString();
      const out = await core().apply(inc.id, user.username, async (tx) => {
        await s.notifications.enqueue(tx, rows, at);
        return [
          {
            kind: 'workflow',
            what: 'notify',
            by: user.username,
            detail: { contact: body.contact, name: contact.name, channels: rows.map((n) => n.channel) },
          },
        ];
      });
      void s.notifier.flush();
      res.status(202).json(await view(out, user));
    }),
  );

  r.post(
    '/api/incidents/:id/take',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const body = parse(takeBody, req.body ?? {});
      const at = now().toISOString();
      // Who holds it is read in the transaction that takes it: two operators clicking the same new
      // alarm at once, one takes it and the other is told who (before, both were told they had it).
      const out = await core().apply(
        inc.id,
        user.username,
        async (tx) => {
          const holder = await s.owners.holder(tx, inc.id);
          if (holder?.username === user.username) return [];
          if (holder && !body.takeover)
            throw new HttpError(
              409,
              'owned_by_other',
              `incident ${inc.id} is held by ${holder.username}; send {"takeover": true} to take it over`,
              { owner: holder.username },
            );
          await s.owners.take(tx, inc.id, user.username, holder ? 'takeover' : 'take', at);
          return [
            {
              kind: 'workflow',
              what: 'owner',
              by: user.username,
              detail: { owner: user.username, ...(holder ? { from: holder.username } : {}) },
            },
          ];
        },
        { guard: false },
      );
      return res.json(await view(out, user));
    }),
  );

  r.post(
    '/api/incidents/:id/release',
    route(async (req, res) => {
      const user = userOf(req);
      const inc = await visibleIncident(svc, user, String(req.params['id']));
      mustAct(user);
      const at = now().toISOString();
      const out = await core().apply(
        inc.id,
        user.username,
        async (tx) => {
          const holder = await s.owners.holder(tx, inc.id);
          if (!holder) return [];
          if (holder.username !== user.username && user.role !== 'supervisor' && user.role !== 'admin')
            throw new HttpError(409, 'owned_by_other', `incident ${inc.id} is held by ${holder.username}`, {
              owner: holder.username,
            });
          await s.owners.release(tx, inc.id, user.username, at);
          return [
            { kind: 'workflow', what: 'owner', by: user.username, detail: { released: holder.username } },
          ];
        },
        { guard: false },
      );
      return res.json(await view(out, user));
    }),
  );
  return r;
}
