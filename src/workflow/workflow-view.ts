import type { Kysely } from 'kysely';
import type { Config } from '../config/schema.js';
import type { Directory } from '../core/directory.js';
import type { Incident } from '../core/incident-types.js';
import type { DB } from '../store/db-types.js';
import { prepare } from '../store/prepared.js';
import type { CallRecord, CallStore } from './calls/call-store.js';
import type { NotificationStore } from './notify/notification-store.js';
import type { Owner } from './ownership/owner-store.js';
import { type StepView, stepViews } from './plans/plan-store.js';
import type { WorkflowStores } from './workflow-hooks.js';

export interface ContactView {
  /** Position in the list: what `POST /api/incidents/:id/calls {contact}` names. */
  index: number;
  name: string;
  phone: string;
  role?: string;
}

/** What issue 17 adds to the incident JSON. */
export interface WorkflowFields {
  plan?: { name: string; steps: StepView[] };
  owner?: Owner;
  callList: ContactView[];
  calls: CallRecord[];
  /** The practice rule that confirmed the alarm (issue 17); `detail`: what confirmed it (the event, a person's score, the unanswered calls). */
  confirmation?: { rule: string; kind: string; by: string; at: string; detail?: Record<string, unknown> };
  /** The forward to the station's desk. */
  forward?: { station: string; by: string; at: string };
  /** Keyholder and owner notifications and how their delivery went. */
  notifications: {
    recipient: string;
    channel: string;
    /** The channel's kind: email, sms or webhook. */
    kind: string;
    reason: string;
    state: string;
    attempts: number;
    lastError?: string;
    /** When it was queued, and when it was sent or given up. */
    at: string;
    finishedAt?: string;
  }[];
}

/** Read with every push of an incident (src/store/prepared.ts). */
const CONFIRMATIONS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k
    .selectFrom('incident_confirmations')
    .select(['incident_id', 'rule', 'kind', 'by_user', 'at', 'detail'])
    .where('incident_id', 'in', p('ids')),
);
const FORWARDS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k
    .selectFrom('incident_forwards')
    .select(['incident_id', 'station', 'by_user', 'at'])
    .where('incident_id', 'in', p('ids')),
);

/** The site's call list in order: `callLists` when configured, else the site's contacts. */
export function callListOf(cfg: Config, dir: Directory, site: string): ContactView[] {
  const list = cfg.callLists[site] ?? dir.site(site)?.contacts ?? [];
  return list.map((c, index) => ({
    index,
    name: c.name,
    phone: c.phone,
    ...(c.role ? { role: c.role } : {}),
  }));
}

/** The `incident.extendAsync` annotation: a page of incidents in four queries. */
export function workflowExtender(
  k: Kysely<DB>,
  cfg: Config,
  dir: Directory,
  s: WorkflowStores & { calls: CallStore; notifications: NotificationStore },
): (incs: readonly Incident[]) => Promise<(Incident & WorkflowFields)[]> {
  return async (incs) => {
    const ids = incs.map((i) => i.id);
    const [plans, owners, calls, notes, confirmations, forwards] = await Promise.all([
      s.plans.many(k, ids),
      s.owners.holders(k, ids),
      s.calls.many(k, ids),
      s.notifications.ofIncidents(k, ids),
      ids.length === 0 ? [] : CONFIRMATIONS.all(k, { ids }),
      ids.length === 0 ? [] : FORWARDS.all(k, { ids }),
    ]);
    const confirmationOf = new Map(confirmations.map((c) => [c.incident_id, c]));
    const forwardOf = new Map(forwards.map((f) => [f.incident_id, f]));
    return incs.map((inc) => {
      const p = plans.get(inc.id);
      const dispatched = inc.transitions?.find((t) => t.to === 'dispatched');
      const owner = owners.get(inc.id);
      const c = confirmationOf.get(inc.id);
      const f = forwardOf.get(inc.id);
      return {
        ...inc,
        ...(p
          ? {
              plan: {
                name: p.plan.name,
                steps: stepViews(p.plan, p.outcomes, {
                  ...(dispatched ? { dispatched: { by: dispatched.by, at: dispatched.at } } : {}),
                  ...(f ? { forwarded: { by: f.by_user, at: f.at } } : {}),
                }),
              },
            }
          : {}),
        ...(owner ? { owner } : {}),
        ...(c
          ? {
              confirmation: {
                rule: c.rule,
                kind: c.kind,
                by: c.by_user,
                at: c.at,
                ...(c.detail ? { detail: JSON.parse(c.detail) as Record<string, unknown> } : {}),
              },
            }
          : {}),
        ...(f ? { forward: { station: f.station, by: f.by_user, at: f.at } } : {}),
        callList: callListOf(cfg, dir, inc.site),
        calls: calls.get(inc.id) ?? [],
        notifications: (notes.get(inc.id) ?? []).map((n) => ({
          recipient: n.recipient,
          channel: n.channel,
          kind: n.kind,
          reason: n.reason,
          state: n.state,
          attempts: n.attempts,
          ...(n.lastError ? { lastError: n.lastError } : {}),
          at: n.createdAt,
          ...(n.finishedAt ? { finishedAt: n.finishedAt } : {}),
        })),
      };
    });
  };
}
