import type {
  Clip,
  Escalation,
  Incident,
  IncidentEventRef,
  IncidentState,
  Priority,
  Transition,
} from '../core/incident-types.js';
import type { IncidentFilter, IncidentRepository, NewIncident } from './repositories.js';
import type { Db } from './sqlite.js';
import { incidentExtras } from './sqlite-core.js';

interface IncidentRow {
  id: string;
  site: string;
  jurisdiction: string;
  priority: number;
  state: string;
  rule: string;
  kind: string;
  confirmed: number;
  opened_at: string;
  updated_at: string;
}

export class SqliteIncidentRepository implements IncidentRepository {
  private readonly markCorrelated;

  constructor(private readonly db: Db) {
    this.markCorrelated = db.prepare(
      'UPDATE events SET correlated_at = COALESCE(correlated_at, ?) WHERE key = ?',
    );
  }

  async create(n: NewIncident): Promise<Incident> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at)
           VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)`,
        )
        .run(
          n.id,
          n.site,
          n.jurisdiction,
          n.priority,
          n.rule,
          n.kind,
          n.confirmed ? 1 : 0,
          n.openedAt,
          n.openedAt,
        );
      this.db
        .prepare('INSERT INTO incident_events (incident_id, event_key) VALUES (?, ?)')
        .run(n.id, n.firstEvent);
      // Issue 4: the event is correlated in the transaction that links it (one fsync, not two).
      this.markCorrelated.run(n.openedAt, n.firstEvent);
      this.db
        .prepare(
          'INSERT INTO transitions (incident_id, from_state, to_state, by_user, at) VALUES (?, NULL, ?, ?, ?)',
        )
        .run(n.id, 'new', n.by, n.openedAt);
    })();
    return (await this.get(n.id))!;
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = this.db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    return row ? this.hydrate(row) : undefined;
  }

  async list(f: IncidentFilter): Promise<Incident[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.jurisdictions) {
      if (f.jurisdictions.length === 0) return [];
      where.push(`jurisdiction IN (${f.jurisdictions.map(() => '?').join(',')})`);
      args.push(...f.jurisdictions);
    }
    if (f.states && f.states.length > 0) {
      where.push(`state IN (${f.states.map(() => '?').join(',')})`);
      args.push(...f.states);
    }
    if (f.site) {
      where.push('site = ?');
      args.push(f.site);
    }
    if (f.since) {
      where.push('opened_at >= ?');
      args.push(f.since);
    }
    if (f.until) {
      where.push('opened_at < ?');
      args.push(f.until);
    }
    if (f.priority !== undefined) {
      where.push('priority = ?');
      args.push(f.priority);
    }
    if (f.kind) {
      where.push('kind = ?');
      args.push(f.kind);
    }
    const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...args, f.limit ?? 200, f.offset ?? 0) as IncidentRow[];
    return rows.map((r) => this.hydrate(r));
  }

  async findOpen(site: string, kind: Incident['kind']): Promise<Incident | undefined> {
    const row = this.db
      .prepare(
        `SELECT * FROM incidents WHERE site = ? AND kind = ? AND state IN ('new','acknowledged','dispatched','on_scene')
         ORDER BY opened_at DESC LIMIT 1`,
      )
      .get(site, kind) as IncidentRow | undefined;
    return row ? this.hydrate(row) : undefined;
  }

  async attachEvent(id: string, eventKey: string, at: string): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO incident_events (incident_id, event_key) VALUES (?, ?)')
        .run(id, eventKey);
      this.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(at, id);
      this.markCorrelated.run(at, eventKey);
    })();
  }

  async transition(
    id: string,
    from: IncidentState,
    to: IncidentState,
    by: string,
    at: string,
    note?: string,
  ): Promise<boolean> {
    return this.db.transaction(() => {
      const closed = to === 'resolved' || to === 'false_alarm' ? at : null;
      const acked = to === 'acknowledged' ? at : null;
      const res = this.db
        .prepare(
          `UPDATE incidents SET state = ?, updated_at = ?,
             acknowledged_at = COALESCE(acknowledged_at, ?), closed_at = COALESCE(?, closed_at)
           WHERE id = ? AND state = ?`,
        )
        .run(to, at, acked, closed, id, from);
      if (res.changes !== 1) return false;
      this.db
        .prepare(
          'INSERT INTO transitions (incident_id, from_state, to_state, by_user, at, note) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, from, to, by, at, note ?? null);
      return true;
    })();
  }

  async setPriority(id: string, priority: Priority, confirmed: boolean, at: string): Promise<void> {
    this.db
      .prepare('UPDATE incidents SET priority = ?, confirmed = ?, updated_at = ? WHERE id = ?')
      .run(priority, confirmed ? 1 : 0, at, id);
  }

  private hydrate(r: IncidentRow): Incident {
    const events = (
      this.db
        .prepare(
          `SELECT e.key, e.type, e.zone, e.device, e.ts, e.received_at FROM incident_events ie
           JOIN events e ON e.key = ie.event_key WHERE ie.incident_id = ? ORDER BY e.received_at, e.rowid`,
        )
        .all(r.id) as {
        key: string;
        type: string;
        zone: string | null;
        device: string;
        ts: string;
        received_at: string;
      }[]
    ).map((e): IncidentEventRef => {
      const ref: IncidentEventRef = {
        key: e.key,
        type: e.type,
        device: e.device,
        ts: e.ts,
        receivedAt: e.received_at,
      };
      if (e.zone !== null) ref.zone = e.zone;
      return ref;
    });
    const transitions = (
      this.db
        .prepare(
          'SELECT from_state, to_state, by_user, at, note FROM transitions WHERE incident_id = ? ORDER BY seq',
        )
        .all(r.id) as {
        from_state: string | null;
        to_state: string;
        by_user: string;
        at: string;
        note: string | null;
      }[]
    ).map((t): Transition => {
      const tr: Transition = {
        from: t.from_state as IncidentState | null,
        to: t.to_state as IncidentState,
        by: t.by_user,
        at: t.at,
      };
      if (t.note !== null) tr.note = t.note;
      return tr;
    });
    const escalations = this.db
      .prepare('SELECT step, kind, jurisdiction, at FROM escalations WHERE incident_id = ? ORDER BY step')
      .all(r.id) as Escalation[];
    const clips = this.db
      .prepare(
        'SELECT camera, url, start, end, sha256 FROM clips WHERE incident_id = ? ORDER BY start, camera',
      )
      .all(r.id) as Clip[];
    return {
      id: r.id,
      site: r.site,
      jurisdiction: r.jurisdiction,
      priority: r.priority as Priority,
      state: r.state as IncidentState,
      rule: r.rule,
      kind: r.kind as Incident['kind'],
      confirmed: r.confirmed === 1,
      openedAt: r.opened_at,
      updatedAt: r.updated_at,
      events,
      transitions,
      escalations,
      clips,
      ...incidentExtras(this.db, r.id), // issue 4: confirmedBy, units, notes
    };
  }
}
