import type { Kysely } from 'kysely';
import type {
  CoreRepository,
  IncidentTiming,
  PendingEscalation,
  SiteState,
} from '../core/core-repository.js';
import type { IncidentNote, Priority } from '../core/incident-types.js';
import type { DB } from './db-types.js';
import { writeSiteState } from './decision-store.js';
import { stateIsOpen } from './open-states.js';

/** What the event core stores beyond incidents (issue 4), written once for SQLite and PostgreSQL. */
export class KyselyCoreRepository implements CoreRepository {
  constructor(private readonly k: Kysely<DB>) {}

  setSiteState(s: SiteState): Promise<void> {
    return writeSiteState(this.k, s);
  }

  async siteStates(): Promise<Map<string, SiteState>> {
    const rows = await this.k.selectFrom('site_states').selectAll().execute();
    return new Map(
      rows.map((r) => [
        r.site,
        {
          site: r.site,
          armed: Number(r.armed) === 1,
          mode: r.mode,
          changedAt: r.changed_at,
          eventKey: r.event_key,
        },
      ]),
    );
  }

  async confirm(id: string, priority: Priority, rule: string, at: string): Promise<void> {
    await this.k
      .updateTable('incidents')
      .set((eb) => ({
        priority: eb.case().when('priority', '>', priority).then(priority).else(eb.ref('priority')).end(),
        confirmed: 1,
        confirmed_by: rule,
        confirmed_at: at,
        updated_at: at,
      }))
      .where('id', '=', id)
      .execute();
  }

  async addUnit(id: string, unit: string, by: string, at: string): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('incident_units')
        .values({ incident_id: id, unit, dispatched_at: at, dispatched_by: by, arrived_at: null })
        .onConflict((oc) => oc.columns(['incident_id', 'unit']).doNothing())
        .execute();
      await tx.updateTable('incidents').set({ updated_at: at }).where('id', '=', id).execute();
    });
  }

  async markArrived(id: string, unit: string | undefined, at: string): Promise<number> {
    let q = this.k
      .updateTable('incident_units')
      .set({ arrived_at: at })
      .where('incident_id', '=', id)
      .where('arrived_at', 'is', null);
    if (unit) q = q.where('unit', '=', unit);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  async addNote(id: string, note: IncidentNote): Promise<void> {
    await this.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('incident_notes')
        .values({ incident_id: id, by_user: note.by, at: note.at, text: note.text })
        .execute();
      await tx.updateTable('incidents').set({ updated_at: note.at }).where('id', '=', id).execute();
    });
  }

  async busyUnits(): Promise<Map<string, { incident: string; arrived: boolean }>> {
    const rows = await this.k
      .selectFrom('incident_units as u')
      .innerJoin('incidents as i', 'i.id', 'u.incident_id')
      .select(['u.unit', 'u.incident_id', 'u.arrived_at'])
      .where(stateIsOpen('i.state'))
      .execute();
    return new Map(rows.map((r) => [r.unit, { incident: r.incident_id, arrived: r.arrived_at !== null }]));
  }

  async unacknowledged(priorities: readonly number[]): Promise<PendingEscalation[]> {
    if (priorities.length === 0) return [];
    const rows = await this.k
      .selectFrom('incidents')
      .select(['id', 'priority', 'jurisdiction', 'opened_at'])
      .where('state', '=', 'new')
      .where('priority', 'in', [...priorities])
      .orderBy('opened_at')
      .execute();
    if (rows.length === 0) return [];
    const steps = await this.k
      .selectFrom('escalations')
      .select(['incident_id', 'step', 'jurisdiction'])
      .where(
        'incident_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('step')
      .execute();
    const byIncident = new Map<string, { steps: number[]; last?: string }>();
    for (const s of steps) {
      const e = byIncident.get(s.incident_id) ?? { steps: [] };
      e.steps.push(Number(s.step));
      e.last = s.jurisdiction;
      byIncident.set(s.incident_id, e);
    }
    return rows.map((r) => ({
      id: r.id,
      priority: Number(r.priority) as Priority,
      jurisdiction: r.jurisdiction,
      openedAt: r.opened_at,
      steps: byIncident.get(r.id)?.steps ?? [],
      lastJurisdiction: byIncident.get(r.id)?.last,
    }));
  }

  async placeOf(id: string): Promise<{ site: string; jurisdiction: string } | undefined> {
    return this.k
      .selectFrom('incidents')
      .select(['site', 'jurisdiction'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async openCountsBySite(): Promise<Map<string, number>> {
    const rows = await this.k
      .selectFrom('incidents')
      .select((eb) => ['site', eb.fn.countAll<number>().as('n')])
      .where(stateIsOpen())
      .groupBy('site')
      .execute();
    return new Map(rows.map((r) => [r.site, Number(r.n)]));
  }

  async timings(f: {
    since: string;
    until: string;
    jurisdictions?: readonly string[];
  }): Promise<IncidentTiming[]> {
    let q = this.k
      .selectFrom('incidents')
      .select([
        'id',
        'site',
        'jurisdiction',
        'kind',
        'state',
        'priority',
        'opened_at',
        'acknowledged_at',
        'closed_at',
      ])
      .where('opened_at', '>=', f.since)
      .where('opened_at', '<', f.until);
    if (f.jurisdictions) {
      if (f.jurisdictions.length === 0) return [];
      q = q.where('jurisdiction', 'in', [...f.jurisdictions]);
    }
    const rows = await q.orderBy('opened_at').execute();
    const units = await this.k
      .selectFrom('incident_units as u')
      .innerJoin('incidents as i', 'i.id', 'u.incident_id')
      .selectAll('u')
      .where('i.opened_at', '>=', f.since)
      .where('i.opened_at', '<', f.until)
      .execute();
    const byIncident = new Map<string, IncidentTiming['units']>();
    for (const u of units) {
      const list = byIncident.get(u.incident_id) ?? [];
      list.push({
        unit: u.unit,
        dispatchedAt: u.dispatched_at,
        dispatchedBy: u.dispatched_by,
        ...(u.arrived_at ? { arrivedAt: u.arrived_at } : {}),
      });
      byIncident.set(u.incident_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      site: r.site,
      jurisdiction: r.jurisdiction,
      kind: r.kind as 'alarm' | 'maintenance',
      state: r.state,
      priority: Number(r.priority),
      openedAt: r.opened_at,
      acknowledgedAt: r.acknowledged_at,
      closedAt: r.closed_at,
      units: byIncident.get(r.id) ?? [],
    }));
  }

  async openMaintenance(): Promise<{ id: string; site: string; openedAt: string }[]> {
    const rows = await this.k
      .selectFrom('incidents')
      .select(['id', 'site', 'opened_at'])
      .where('kind', '=', 'maintenance')
      .where(stateIsOpen())
      .execute();
    return rows.map((r) => ({ id: r.id, site: r.site, openedAt: r.opened_at }));
  }
}
