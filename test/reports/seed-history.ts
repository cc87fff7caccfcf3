import type { Kysely } from 'kysely';
import type { DB } from '../../src/store/db-types.js';

/** One incident of a seeded history, as the alarm path would have stored it (times ISO with offset). */
export interface SeedIncident {
  id: string;
  site: string;
  jurisdiction: string;
  kind?: 'alarm' | 'maintenance';
  /** Type of the opening event. */
  type: string;
  priority?: number;
  state?: string;
  confirmed?: boolean;
  opened: string;
  ack?: string;
  closed?: string;
  /** The closing move's outcome code (written as that move's transition row). */
  outcome?: string;
  units?: { unit: string; at: string; arrived?: string }[];
  escalations?: { step: number; jurisdiction: string; at: string }[];
}

const iso = (t: string) => new Date(t).toISOString();

/** Writes incidents (with their opening event, transitions, units, escalations) straight to the tables. */
export async function seedIncidents(k: Kysely<DB>, list: readonly SeedIncident[]): Promise<void> {
  await k.transaction().execute(async (tx) => {
    for (const i of list) {
      const opened = iso(i.opened);
      const key = `seed:${i.id}`;
      await tx
        .insertInto('events')
        .values({
          key,
          source: 'panel',
          device: `panel-of-${i.site}`,
          site: i.site,
          type: i.type,
          zone: null,
          cid: null,
          ts: opened,
          received_at: opened,
          detail: null,
          correlated_at: opened,
        })
        .execute();
      await tx
        .insertInto('incidents')
        .values({
          id: i.id,
          site: i.site,
          jurisdiction: i.jurisdiction,
          priority: i.priority ?? 1,
          state: i.state ?? (i.closed ? 'resolved' : 'new'),
          rule: 'seed',
          kind: i.kind ?? 'alarm',
          confirmed: i.confirmed ? 1 : 0,
          opened_at: opened,
          updated_at: opened,
          acknowledged_at: i.ack ? iso(i.ack) : null,
          closed_at: i.closed ? iso(i.closed) : null,
          confirmed_by: null,
          confirmed_at: null,
          device: null,
          last_event_at: opened,
        })
        .execute();
      await tx.insertInto('incident_events').values({ incident_id: i.id, event_key: key }).execute();
      if (i.closed && i.outcome)
        await tx
          .insertInto('transitions')
          .values({
            incident_id: i.id,
            from_state: 'acknowledged',
            to_state: i.state ?? 'resolved',
            by_user: 'seed',
            at: iso(i.closed),
            note: null,
            outcome: i.outcome,
          })
          .execute();
      for (const u of i.units ?? [])
        await tx
          .insertInto('incident_units')
          .values({
            incident_id: i.id,
            unit: u.unit,
            dispatched_at: iso(u.at),
            dispatched_by: 'seed',
            arrived_at: u.arrived ? iso(u.arrived) : null,
          })
          .execute();
      for (const e of i.escalations ?? [])
        await tx
          .insertInto('escalations')
          .values({
            incident_id: i.id,
            step: e.step,
            kind: 'unacknowledged',
            jurisdiction: e.jurisdiction,
            at: iso(e.at),
          })
          .execute();
    }
  });
}

/** `n` alarms at `site`, a minute apart from `opened`; `over` may derive times from each opening (ms). */
export function alarms(
  prefix: string,
  site: string,
  jurisdiction: string,
  opened: string,
  n: number,
  over: Partial<SeedIncident> | ((opened: number) => Partial<SeedIncident>) = {},
): SeedIncident[] {
  return Array.from({ length: n }, (_, i) => {
    const at = Date.parse(opened) + i * 60_000;
    return {
      id: `${prefix}-${i}`,
      site,
      jurisdiction,
      type: 'intrusion',
      confirmed: true,
      opened: new Date(at).toISOString(),
      ...(typeof over === 'function' ? over(at) : over),
    };
  });
}
