import type {
  CoreRepository,
  IncidentTiming,
  PendingEscalation,
  SiteState,
} from '../core/core-repository.js';
import type { IncidentNote, IncidentUnit, Priority } from '../core/incident-types.js';
import type { Db } from './sqlite.js';

interface UnitRow {
  incident_id: string;
  unit: string;
  dispatched_at: string;
  dispatched_by: string;
  arrived_at: string | null;
}

function toUnit(r: UnitRow): IncidentUnit {
  return {
    unit: r.unit,
    dispatchedAt: r.dispatched_at,
    dispatchedBy: r.dispatched_by,
    ...(r.arrived_at ? { arrivedAt: r.arrived_at } : {}),
  };
}

/** Fields of migration 010 merged into a hydrated incident (called by the incident repository). */
export function incidentExtras(
  db: Db,
  id: string,
): { confirmedBy?: string; units: IncidentUnit[]; notes: IncidentNote[] } {
  const c = db.prepare('SELECT confirmed_by FROM incidents WHERE id = ?').get(id) as
    | { confirmed_by: string | null }
    | undefined;
  const units = (
    db
      .prepare('SELECT * FROM incident_units WHERE incident_id = ? ORDER BY dispatched_at, unit')
      .all(id) as UnitRow[]
  ).map(toUnit);
  const notes = db
    .prepare('SELECT by_user AS "by", at, text FROM incident_notes WHERE incident_id = ? ORDER BY seq')
    .all(id) as IncidentNote[];
  return { ...(c?.confirmed_by ? { confirmedBy: c.confirmed_by } : {}), units, notes };
}

const OPEN = `('new','acknowledged','dispatched','on_scene')`;

export class SqliteCoreRepository implements CoreRepository {
  constructor(private readonly db: Db) {}

  async setSiteState(s: SiteState): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO site_states (site, armed, mode, changed_at, event_key) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(site) DO UPDATE SET armed = excluded.armed, mode = excluded.mode,
           changed_at = excluded.changed_at, event_key = excluded.event_key
         WHERE excluded.changed_at >= site_states.changed_at`,
      )
      .run(s.site, s.armed ? 1 : 0, s.mode, s.changedAt, s.eventKey);
  }

  async siteStates(): Promise<Map<string, SiteState>> {
    const rows = this.db.prepare('SELECT * FROM site_states').all() as {
      site: string;
      armed: number;
      mode: string;
      changed_at: string;
      event_key: string | null;
    }[];
    return new Map(
      rows.map((r) => [
        r.site,
        { site: r.site, armed: r.armed === 1, mode: r.mode, changedAt: r.changed_at, eventKey: r.event_key },
      ]),
    );
  }

  async confirm(id: string, priority: Priority, rule: string, at: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE incidents SET priority = MIN(priority, ?), confirmed = 1, confirmed_by = ?, confirmed_at = ?,
           updated_at = ? WHERE id = ?`,
      )
      .run(priority, rule, at, at, id);
  }

  async addUnit(id: string, unit: string, by: string, at: string): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO incident_units (incident_id, unit, dispatched_at, dispatched_by) VALUES (?, ?, ?, ?)
           ON CONFLICT(incident_id, unit) DO NOTHING`,
        )
        .run(id, unit, at, by);
      this.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(at, id);
    })();
  }

  async markArrived(id: string, unit: string | undefined, at: string): Promise<number> {
    const sql = `UPDATE incident_units SET arrived_at = ? WHERE incident_id = ? AND arrived_at IS NULL${
      unit ? ' AND unit = ?' : ''
    }`;
    const args = unit ? [at, id, unit] : [at, id];
    return this.db.prepare(sql).run(...args).changes;
  }

  async addNote(id: string, note: IncidentNote): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO incident_notes (incident_id, by_user, at, text) VALUES (?, ?, ?, ?)')
        .run(id, note.by, note.at, note.text);
      this.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(note.at, id);
    })();
  }

  async busyUnits(): Promise<Map<string, { incident: string; arrived: boolean }>> {
    const rows = this.db
      .prepare(
        `SELECT u.unit, u.incident_id, u.arrived_at FROM incident_units u JOIN incidents i ON i.id = u.incident_id
         WHERE i.state IN ${OPEN}`,
      )
      .all() as UnitRow[];
    return new Map(rows.map((r) => [r.unit, { incident: r.incident_id, arrived: r.arrived_at !== null }]));
  }

  async recordEscalation(
    id: string,
    step: number,
    kind: 'reannounce' | 'escalate',
    jurisdiction: string,
    at: string,
  ): Promise<boolean> {
    // The primary key (incident, step) is what makes a step happen once, across restarts and nodes.
    return this.db.transaction(() => {
      const res = this.db
        .prepare(
          'INSERT INTO escalations (incident_id, step, kind, jurisdiction, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(id, step, kind, jurisdiction, at);
      if (res.changes === 1) this.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(at, id);
      return res.changes === 1;
    })();
  }

  async unacknowledged(priorities: readonly number[]): Promise<PendingEscalation[]> {
    if (priorities.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT i.id, i.priority, i.jurisdiction, i.opened_at,
           (SELECT group_concat(step) FROM escalations e WHERE e.incident_id = i.id) AS steps,
           (SELECT jurisdiction FROM escalations e WHERE e.incident_id = i.id ORDER BY step DESC LIMIT 1) AS last_j
         FROM incidents i WHERE i.state = 'new' AND i.priority IN (${priorities.map(() => '?').join(',')})
         ORDER BY i.opened_at`,
      )
      .all(...priorities) as {
      id: string;
      priority: number;
      jurisdiction: string;
      opened_at: string;
      steps: string | null;
      last_j: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      priority: r.priority as Priority,
      jurisdiction: r.jurisdiction,
      openedAt: r.opened_at,
      steps: r.steps ? r.steps.split(',').map(Number) : [],
      lastJurisdiction: r.last_j ?? undefined,
    }));
  }

  async placeOf(id: string): Promise<{ site: string; jurisdiction: string } | undefined> {
    return this.db.prepare('SELECT site, jurisdiction FROM incidents WHERE id = ?').get(id) as
      | { site: string; jurisdiction: string }
      | undefined;
  }

  async openCountsBySite(): Promise<Map<string, number>> {
    const rows = this.db
      .prepare(`SELECT site, COUNT(*) AS n FROM incidents WHERE state IN ${OPEN} GROUP BY site`)
      .all() as { site: string; n: number }[];
    return new Map(rows.map((r) => [r.site, r.n]));
  }

  async timings(f: {
    since: string;
    until: string;
    jurisdictions?: readonly string[];
  }): Promise<IncidentTiming[]> {
    const rows = this.db
      .prepare(
        `SELECT id, site, jurisdiction, kind, state, priority, opened_at, acknowledged_at, closed_at
         FROM incidents WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at`,
      )
      .all(f.since, f.until) as {
      id: string;
      site: string;
      jurisdiction: string;
      kind: 'alarm' | 'maintenance';
      state: string;
      priority: number;
      opened_at: string;
      acknowledged_at: string | null;
      closed_at: string | null;
    }[];
    const allowed = f.jurisdictions ? new Set(f.jurisdictions) : undefined;
    const units = new Map<string, IncidentUnit[]>();
    for (const u of this.db
      .prepare(
        `SELECT u.* FROM incident_units u JOIN incidents i ON i.id = u.incident_id
         WHERE i.opened_at >= ? AND i.opened_at < ?`,
      )
      .all(f.since, f.until) as UnitRow[]) {
      const list = units.get(u.incident_id) ?? [];
      list.push(toUnit(u));
      units.set(u.incident_id, list);
    }
    return rows
      .filter((r) => !allowed || allowed.has(r.jurisdiction))
      .map((r) => ({
        id: r.id,
        site: r.site,
        jurisdiction: r.jurisdiction,
        kind: r.kind,
        state: r.state,
        priority: r.priority,
        openedAt: r.opened_at,
        acknowledgedAt: r.acknowledged_at,
        closedAt: r.closed_at,
        units: units.get(r.id) ?? [],
      }));
  }

  async openMaintenance(): Promise<{ id: string; site: string; openedAt: string }[]> {
    return this.db
      .prepare(
        `SELECT id, site, opened_at AS openedAt FROM incidents WHERE kind = 'maintenance' AND state IN ${OPEN}`,
      )
      .all() as { id: string; site: string; openedAt: string }[];
  }
}
