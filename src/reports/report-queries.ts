import { type Expression, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { DB } from '../store/db-types.js';

/**
 * The report queries (issue 19). Every figure is an SQL aggregate over the reporting tables, indexed
 * by time, so a year of history never enters JavaScript; percentiles are nearest-rank through window
 * functions. They run on the worker's read-only connection (report-worker-main.ts), never on the one
 * the alarm path writes with. Portable SQL only: the same text runs on PostgreSQL (issue 16).
 */

/** Where and when: a jurisdiction node's subtree over [from, to), as of `asOf` (≤ to) for what is still open. */
export interface Period {
  node: string;
  from: number;
  to: number;
  asOf: number;
}

/** Nearest-rank position of percentile `p` among `n` ordered values, in integer SQL: ceil(n·p/100). */
const rank = (p: number) => sql<number>`(n * ${sql.lit(p)} + 99) / 100`;

export interface SpreadRow {
  grp: string;
  m: string;
  count: number;
  /** Milliseconds, to the whole second below (see `spreads`). */
  p50: number | null;
  p90: number | null;
  /** Milliseconds, exact. */
  max: number | null;
}

/**
 * count, p50, p90 and max of `d` (ms) per (grp, m) of a subquery that yields those three columns.
 * Percentiles are nearest-rank over whole seconds: the rows are first counted per second (one
 * GROUP BY, cheap even over a year of incidents), then a running total over those few rows (a window
 * function) finds the second where the rank falls. Ranking every row with ROW_NUMBER instead sorted
 * and materialised a million rows for a 400-day report; this answer is the same to the second.
 */
async function spreads(
  db: Kysely<DB>,
  base: SelectQueryBuilder<DB, never, { grp: string; m: string; d: number }>,
): Promise<SpreadRow[]> {
  const perSecond = db
    .selectFrom(base.as('b'))
    .select([
      'b.grp',
      'b.m',
      sql<number>`b.d / 1000`.as('s'),
      sql<number>`COUNT(*)`.as('c'),
      sql<number>`MAX(b.d)`.as('mx'),
    ])
    .groupBy(['b.grp', 'b.m', sql`b.d / 1000`])
    .as('h');
  // CAST: PostgreSQL's SUM of a bigint is numeric, whose division keeps decimals; the rank is an integer.
  const running = db
    .selectFrom(perSecond)
    .select([
      'h.grp',
      'h.m',
      'h.s',
      'h.mx',
      sql<number>`CAST(SUM(h.c) OVER (PARTITION BY h.grp, h.m ORDER BY h.s ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT)`.as(
        'cum',
      ),
      sql<number>`CAST(SUM(h.c) OVER (PARTITION BY h.grp, h.m) AS BIGINT)`.as('n'),
    ])
    .as('r');
  const rows = await db
    .selectFrom(running)
    .select([
      'grp',
      'm',
      sql<number>`MAX(n)`.as('count'),
      sql<number | null>`MIN(CASE WHEN cum >= ${rank(50)} THEN s END)`.as('p50'),
      sql<number | null>`MIN(CASE WHEN cum >= ${rank(90)} THEN s END)`.as('p90'),
      sql<number | null>`MAX(mx)`.as('max'),
    ])
    .groupBy(['grp', 'm'])
    .execute();
  return rows.map((r) => ({
    grp: String(r.grp),
    m: String(r.m),
    count: Number(r.count),
    p50: r.p50 === null ? null : Number(r.p50) * 1000,
    p90: r.p90 === null ? null : Number(r.p90) * 1000,
    max: r.max === null ? null : Number(r.max),
  }));
}

/** `later - earlier`, never negative (a clock that stepped back must not make a negative response). */
const between = (earlier: string, later: string) =>
  sql<number>`CASE WHEN ${sql.ref(later)} < ${sql.ref(earlier)} THEN 0 ELSE ${sql.ref(later)} - ${sql.ref(earlier)} END`;

/** Alarm incidents opened in the period under `groups` (each row once per group it falls in). */
function alarmsIn(db: Kysely<DB>, p: Period, groups: readonly string[]) {
  return db
    .selectFrom('report_incidents as f')
    .innerJoin('report_tree as t', 't.node', 'f.jurisdiction')
    .where('t.ancestor', 'in', [...groups])
    .where('f.opened_ms', '>=', p.from)
    .where('f.opened_ms', '<', p.to)
    .where('f.kind', '=', 'alarm');
}

export const RESPONSE_MEASURES = {
  acknowledge: 'f.ack_ms',
  dispatch: 'f.dispatch_ms',
  arrive: 'f.arrive_ms',
  resolve: 'f.closed_ms',
} as const;
export type ResponseMeasure = keyof typeof RESPONSE_MEASURES;

/** Time from opening to each answer (ms) for the node and each of `groups`, per group. */
export function responseSpreads(db: Kysely<DB>, p: Period, groups: readonly string[]): Promise<SpreadRow[]> {
  const parts = Object.entries(RESPONSE_MEASURES).map(([m, col]) =>
    alarmsIn(db, p, groups)
      .where(col, 'is not', null)
      .select([sql.lit(m).as('m'), 't.ancestor as grp', between('f.opened_ms', col).as('d')]),
  );
  const [first, ...rest] = parts;
  let base = first!;
  for (const q of rest) base = base.unionAll(q);
  return spreads(db, base as never);
}

/** Incidents opened in the period, per group and (kind, type, priority, state, confirmed, closing code). */
export async function incidentCounts(db: Kysely<DB>, p: Period, groups: readonly string[]) {
  const rows = await db
    .selectFrom('report_incidents as f')
    .innerJoin('report_tree as t', 't.node', 'f.jurisdiction')
    .where('t.ancestor', 'in', [...groups])
    .where('f.opened_ms', '>=', p.from)
    .where('f.opened_ms', '<', p.to)
    .select(['t.ancestor as grp', 'f.kind', 'f.type', 'f.priority', 'f.state', 'f.confirmed', 'f.outcome'])
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(sql`CASE WHEN f.escalations > 0 THEN 1 ELSE 0 END`).as('escalated'),
      eb.fn
        .sum<number>(
          sql`CASE WHEN f.escalations > 0 AND (f.ack_ms IS NULL OR f.ack_ms > f.escalated_ms) THEN 1 ELSE 0 END`,
        )
        .as('unanswered'),
    ])
    .groupBy(['t.ancestor', 'f.kind', 'f.type', 'f.priority', 'f.state', 'f.confirmed', 'f.outcome'])
    .execute();
  return rows.map((r) => ({
    grp: r.grp,
    kind: r.kind,
    type: r.type,
    priority: Number(r.priority),
    state: r.state,
    confirmed: Number(r.confirmed) === 1,
    outcome: r.outcome,
    n: Number(r.n),
    escalated: Number(r.escalated),
    unanswered: Number(r.unanswered),
  }));
}

/** Per unit: dispatches in the period, dispatch→arrival and opening→arrival, time committed. */
export async function unitFigures(db: Kysely<DB>, p: Period, units: readonly string[]) {
  if (units.length === 0) return { spreads: [] as SpreadRow[], totals: [] };
  const inPeriod = () =>
    db
      .selectFrom('report_dispatches as u')
      .where('u.unit', 'in', [...units])
      .where('u.dispatched_ms', '>=', p.from)
      .where('u.dispatched_ms', '<', p.to);
  const travel = inPeriod()
    .where('u.arrived_ms', 'is not', null)
    .select([sql.lit('travel').as('m'), 'u.unit as grp', between('u.dispatched_ms', 'u.arrived_ms').as('d')]);
  const arrival = inPeriod()
    .where('u.arrived_ms', 'is not', null)
    .select([sql.lit('arrival').as('m'), 'u.unit as grp', between('u.opened_ms', 'u.arrived_ms').as('d')]);
  const spreadRows = await spreads(db, travel.unionAll(arrival) as never);
  // Committed: from dispatch until the incident closed (or the period's end while it is open).
  const end = sql<number>`CASE WHEN u.closed_ms IS NULL OR u.closed_ms > ${p.asOf} THEN ${p.asOf} ELSE u.closed_ms END`;
  const totals = await inPeriod()
    .select('u.unit')
    .select((eb) => [
      eb.fn.countAll<number>().as('dispatches'),
      eb.fn.count<number>('u.arrived_ms').as('arrived'),
      eb.fn
        .sum<number>(sql`CASE WHEN ${end} < u.dispatched_ms THEN 0 ELSE ${end} - u.dispatched_ms END`)
        .as('busy_ms'),
    ])
    .groupBy('u.unit')
    .execute();
  return {
    spreads: spreadRows,
    totals: totals.map((t) => ({
      unit: t.unit,
      dispatches: Number(t.dispatches),
      arrived: Number(t.arrived),
      busyMs: Number(t.busy_ms ?? 0),
    })),
  };
}

/** Per site: alarms and false alarms in the period, most false alarms first. */
export async function siteFalseAlarms(db: Kysely<DB>, p: Period, limit: number) {
  const rows = await alarmsIn(db, p, [p.node])
    .select('f.site')
    .select((eb) => [
      eb.fn.countAll<number>().as('alarms'),
      eb.fn.sum<number>(sql`CASE WHEN f.state = 'false_alarm' THEN 1 ELSE 0 END`).as('false_alarms'),
    ])
    .groupBy('f.site')
    .orderBy('false_alarms', 'desc')
    .orderBy('alarms', 'desc')
    .orderBy('f.site')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ site: r.site, alarms: Number(r.alarms), falseAlarms: Number(r.false_alarms) }));
}

/** Incidents nobody acknowledged before an escalation step: the oldest first. */
export async function unansweredEscalations(db: Kysely<DB>, p: Period, limit: number) {
  const rows = await db
    .selectFrom('report_incidents as f')
    .innerJoin('report_tree as t', 't.node', 'f.jurisdiction')
    .where('t.ancestor', '=', p.node)
    .where('f.opened_ms', '>=', p.from)
    .where('f.opened_ms', '<', p.to)
    .where('f.escalations', '>', 0)
    .where((eb) => eb.or([eb('f.ack_ms', 'is', null), eb('f.ack_ms', '>', eb.ref('f.escalated_ms'))]))
    .select([
      'f.incident_id',
      'f.site',
      'f.jurisdiction',
      'f.kind',
      'f.type',
      'f.priority',
      'f.state',
      'f.opened_ms',
      'f.ack_ms',
      'f.escalations',
      'f.escalated_to',
    ])
    .orderBy('f.opened_ms')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    incident: r.incident_id,
    site: r.site,
    jurisdiction: r.jurisdiction,
    kind: r.kind,
    type: r.type,
    priority: Number(r.priority),
    state: r.state,
    openedMs: Number(r.opened_ms),
    ackMs: r.ack_ms === null ? null : Number(r.ack_ms),
    steps: Number(r.escalations),
    reached: r.escalated_to,
  }));
}

/** Offline time of panels and cameras within the period (an outage still open counts up to `asOf`). */
export async function offlineTime(db: Kysely<DB>, p: Period, limit: number) {
  const end = Math.min(p.to, p.asOf);
  if (end <= p.from) return { devices: [], totals: [] };
  const stop = sql<number>`COALESCE(o.end_ms, ${end})`;
  const clipped = sql<number>`(CASE WHEN ${stop} < ${end} THEN ${stop} ELSE ${end} END) - (CASE WHEN o.start_ms > ${p.from} THEN o.start_ms ELSE ${p.from} END)`;
  const base = db
    .selectFrom('report_outages as o')
    .innerJoin('report_tree as t', 't.node', 'o.jurisdiction')
    .where('t.ancestor', '=', p.node)
    .where('o.start_ms', '<', end)
    .where((eb) => eb.or([eb('o.end_ms', 'is', null), eb('o.end_ms', '>', p.from)]));
  const devices = await base
    .select(['o.device_kind', 'o.device', 'o.site'])
    .select((eb) => [
      eb.fn.sum<number>(clipped).as('ms'),
      eb.fn.countAll<number>().as('episodes'),
      eb.fn.sum<number>(sql`CASE WHEN o.end_ms IS NULL THEN 1 ELSE 0 END`).as('open'),
    ])
    .groupBy(['o.device_kind', 'o.device', 'o.site'])
    .orderBy('ms', 'desc')
    .orderBy('o.device')
    .limit(limit)
    .execute();
  const totals = await base
    .select('o.device_kind')
    .select((eb) => [
      eb.fn.sum<number>(clipped).as('ms'),
      eb.fn.countAll<number>().as('episodes'),
      sql<number>`COUNT(DISTINCT o.device)`.as('devices'),
    ])
    .groupBy('o.device_kind')
    .execute();
  return {
    devices: devices.map((d) => ({
      kind: d.device_kind,
      device: d.device,
      site: d.site,
      ms: Number(d.ms),
      episodes: Number(d.episodes),
      open: Number(d.open) > 0,
    })),
    totals: totals.map((t) => ({
      kind: t.device_kind,
      ms: Number(t.ms),
      episodes: Number(t.episodes),
      devices: Number(t.devices),
    })),
  };
}

/** Incidents per local day (alarms, maintenance) with the day's median time to acknowledge. */
export async function byDay(db: Kysely<DB>, p: Period) {
  const counts = await db
    .selectFrom('report_incidents as f')
    .innerJoin('report_tree as t', 't.node', 'f.jurisdiction')
    .where('t.ancestor', '=', p.node)
    .where('f.opened_ms', '>=', p.from)
    .where('f.opened_ms', '<', p.to)
    .select(['f.local_day', 'f.kind'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy(['f.local_day', 'f.kind'])
    .execute();
  const ack = await spreads(
    db,
    alarmsIn(db, p, [p.node])
      .where('f.ack_ms', 'is not', null)
      .select([
        sql.lit('acknowledge').as('m'),
        'f.local_day as grp',
        between('f.opened_ms', 'f.ack_ms').as('d'),
      ]) as never,
  );
  return {
    counts: counts.map((c) => ({ day: c.local_day, kind: c.kind, n: Number(c.n) })),
    ack,
  };
}

/** Alarms per local hour of the day (0-23). */
export async function byHour(db: Kysely<DB>, p: Period) {
  const rows = await alarmsIn(db, p, [p.node])
    .select('f.local_hour')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy('f.local_hour')
    .execute();
  return rows.map((r) => ({ hour: Number(r.local_hour), n: Number(r.n) }));
}

/** Bucket upper bounds in seconds for the response-time distributions (the last is open-ended). */
export const BUCKETS = [30, 60, 120, 300, 600, 1200, 1800, 3600] as const;

/** How many acknowledgements and arrivals fell in each bucket of seconds after the opening. */
export async function distributions(db: Kysely<DB>, p: Period) {
  const out: { m: string; bucket: number; n: number }[] = [];
  for (const [m, col] of [
    ['acknowledge', 'f.ack_ms'],
    ['arrive', 'f.arrive_ms'],
  ] as const) {
    const d = between('f.opened_ms', col);
    const bucket = sql<number>`CASE ${sql.join(
      BUCKETS.map((b, i) => sql`WHEN ${d} < ${sql.lit(b * 1000)} THEN ${sql.lit(i)}`),
      sql` `,
    )} ELSE ${sql.lit(BUCKETS.length)} END`;
    const rows = await alarmsIn(db, p, [p.node])
      .where(col, 'is not', null)
      .select(bucket.as('bucket'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy(sql`1`)
      .execute();
    for (const r of rows) out.push({ m, bucket: Number(r.bucket), n: Number(r.n) });
  }
  return out;
}

/** Per month (`YYYY-MM` of the local day) over [from, to): alarms and the response spreads. */
export async function monthlyTrend(db: Kysely<DB>, p: Period) {
  const month = sql<string>`SUBSTR(f.local_day, 1, 7)`;
  const counts = await alarmsIn(db, p, [p.node])
    .select(month.as('month'))
    .select((eb) => [
      eb.fn.countAll<number>().as('alarms'),
      eb.fn.sum<number>(sql`CASE WHEN f.state = 'false_alarm' THEN 1 ELSE 0 END`).as('false_alarms'),
    ])
    .groupBy(sql`SUBSTR(f.local_day, 1, 7)`)
    .execute();
  const parts = (['acknowledge', 'arrive'] as const).map((m) =>
    alarmsIn(db, p, [p.node])
      .where(RESPONSE_MEASURES[m], 'is not', null)
      .select([sql.lit(m).as('m'), month.as('grp'), between('f.opened_ms', RESPONSE_MEASURES[m]).as('d')]),
  );
  const s = await spreads(db, parts[0]!.unionAll(parts[1]!) as never);
  return {
    counts: counts.map((c) => ({
      month: String(c.month),
      alarms: Number(c.alarms),
      falseAlarms: Number(c.false_alarms),
    })),
    spreads: s,
  };
}

/** A count of the rating rules, as SQL over `report_incidents as f`. */
export interface CountRule {
  name: string;
  kind: 'alarm' | 'maintenance';
  types?: readonly string[] | undefined;
  outcomes?: readonly ('confirmed' | 'unconfirmed' | 'false_alarm')[] | undefined;
  priorities?: readonly number[] | undefined;
}

function countCondition(c: CountRule): Expression<SqlBool> {
  const parts = [sql`f.kind = ${c.kind}`];
  if (c.types) parts.push(c.types.length > 0 ? sql`f.type IN (${sql.join([...c.types])})` : sql`1 = 0`);
  if (c.priorities)
    parts.push(c.priorities.length > 0 ? sql`f.priority IN (${sql.join([...c.priorities])})` : sql`1 = 0`);
  if (c.outcomes) {
    const o = c.outcomes.map((x) =>
      x === 'false_alarm'
        ? sql`f.state = 'false_alarm'`
        : x === 'confirmed'
          ? sql`(f.state <> 'false_alarm' AND f.confirmed = 1)`
          : sql`(f.state <> 'false_alarm' AND f.confirmed = 0)`,
    );
    parts.push(o.length > 0 ? sql`(${sql.join(o, sql` OR `)})` : sql`1 = 0`);
  }
  return sql<SqlBool>`${sql.join(parts, sql` AND `)}`;
}

export interface SiteMeasures {
  site: string;
  kind: string;
  jurisdiction: string;
  firstSeenMs: number;
  values: Record<string, number>;
}

/**
 * The rating measures of every configured site of the subtree (or of all sites) for [from, to):
 * counts of the month's incidents, and the tickets still open at `asOf`.
 */
export async function ratingMeasures(
  db: Kysely<DB>,
  q: {
    node?: string | undefined;
    sites?: readonly string[] | undefined;
    from: number;
    to: number;
    asOf: number;
  },
  counts: readonly CountRule[],
): Promise<SiteMeasures[]> {
  let sites = db
    .selectFrom('report_sites as s')
    .select(['s.site', 's.kind', 's.jurisdiction', 's.first_seen_ms'])
    .where('s.configured', '=', 1)
    .where('s.first_seen_ms', '<', q.to);
  if (q.node)
    sites = sites.where('s.jurisdiction', 'in', (eb) =>
      eb.selectFrom('report_tree').select('node').where('ancestor', '=', q.node!),
    );
  if (q.sites) sites = sites.where('s.site', 'in', q.sites.length > 0 ? [...q.sites] : ['']);
  const siteRows = await sites.execute();
  if (siteRows.length === 0) return [];
  const wanted = new Set(siteRows.map((s) => s.site));

  const node = q.node;
  // Asked for a few sites (the running month's ratings brought up to date for the sites that
  // changed), only their incidents are read: by `report_incidents(site, opened_ms)`.
  const only = q.sites ? [...wanted] : undefined;
  const month = db
    .selectFrom('report_incidents as f')
    .where('f.opened_ms', '>=', q.from)
    .where('f.opened_ms', '<', q.to)
    .$if(node !== undefined, (qb) =>
      qb.where('f.jurisdiction', 'in', (eb) =>
        eb.selectFrom('report_tree').select('node').where('ancestor', '=', node!),
      ),
    )
    .$if(only !== undefined, (qb) => qb.where('f.site', 'in', only!))
    .select('f.site')
    .select((eb) => [
      eb.fn.sum<number>(sql`CASE WHEN f.kind = 'alarm' THEN 1 ELSE 0 END`).as('alarms'),
      eb.fn
        .sum<number>(sql`CASE WHEN f.kind = 'alarm' AND f.state = 'false_alarm' THEN 1 ELSE 0 END`)
        .as('falseAlarms'),
      eb.fn.sum<number>(sql`CASE WHEN f.kind = 'maintenance' THEN 1 ELSE 0 END`).as('troubleTickets'),
      ...counts.map((c, i) =>
        eb.fn.sum<number>(sql`CASE WHEN ${countCondition(c)} THEN 1 ELSE 0 END`).as(`c${i}`),
      ),
    ])
    .groupBy('f.site');
  const open = db
    .selectFrom('report_incidents as f')
    .where('f.kind', '=', 'maintenance')
    .where('f.opened_ms', '<', q.asOf)
    .where((eb) => eb.or([eb('f.closed_ms', 'is', null), eb('f.closed_ms', '>=', q.asOf)]))
    .$if(node !== undefined, (qb) =>
      qb.where('f.jurisdiction', 'in', (eb) =>
        eb.selectFrom('report_tree').select('node').where('ancestor', '=', node!),
      ),
    )
    .$if(only !== undefined, (qb) => qb.where('f.site', 'in', only!))
    .select('f.site')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('f.opened_ms').as('oldest')])
    .groupBy('f.site');
  const monthRows = new Map((await month.execute()).map((r) => [r.site, r as Record<string, unknown>]));
  const openRows = new Map((await open.execute()).map((r) => [r.site, r]));
  return siteRows
    .filter((s) => wanted.has(s.site))
    .map((s) => {
      const m = monthRows.get(s.site);
      const o = openRows.get(s.site);
      const values: Record<string, number> = {
        alarms: Number(m?.['alarms'] ?? 0),
        falseAlarms: Number(m?.['falseAlarms'] ?? 0),
        troubleTickets: Number(m?.['troubleTickets'] ?? 0),
        openTickets: Number(o?.n ?? 0),
        oldestOpenTicketHours: o ? Math.round(((q.asOf - Number(o.oldest)) / 3_600_000) * 10) / 10 : 0,
      };
      counts.forEach((c, i) => {
        values[c.name] = Number(m?.[`c${i}`] ?? 0);
      });
      return {
        site: s.site,
        kind: s.kind,
        jurisdiction: s.jurisdiction,
        firstSeenMs: Number(s.first_seen_ms),
        values,
      };
    });
}

/** Notices sent in the period to nodes of the subtree, with each node's receipt. */
export async function noticeReceipts(db: Kysely<DB>, p: Period) {
  const rows = await db
    .selectFrom('notice_targets as nt')
    .innerJoin('notices as n', 'n.id', 'nt.notice_id')
    .innerJoin('report_tree as t', 't.node', 'nt.node')
    .where('t.ancestor', '=', p.node)
    .where('n.sent_ms', '>=', p.from)
    .where('n.sent_ms', '<', p.to)
    .select([
      'n.id',
      'n.sent_ms',
      'n.text',
      'n.receipt_minutes',
      'n.list_minutes',
      'nt.node',
      'nt.received_ms',
      'nt.reminded_ms',
      'nt.listed_ms',
    ])
    .orderBy('n.sent_ms')
    .orderBy('nt.node')
    .limit(5000)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    sentMs: Number(r.sent_ms),
    text: r.text,
    receiptMinutes: Number(r.receipt_minutes),
    listMinutes: Number(r.list_minutes),
    node: r.node,
    receivedMs: r.received_ms === null ? null : Number(r.received_ms),
    reminded: r.reminded_ms !== null,
    listed: r.listed_ms !== null,
  }));
}
