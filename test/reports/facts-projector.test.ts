import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/core/events.js';
import { eventToRow } from '../../src/store/kysely-events.js';
import { turnsDuring } from '../helpers/loop-turns.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { type ReportFixture, reportFixture } from './report-fixture.js';
import { type SeedIncident, seedIncidents } from './seed-history.js';

const H = 3_600_000;
const at = (base: string, plusMs: number) => new Date(Date.parse(base) + plusMs).toISOString();

// Forty alarms at shop-1, an hour apart from 1 November 00:00 Beijing time. Alarm i is acknowledged
// after (i + 1) × 10 s; every third has car-n1 sent after a minute and on scene i minutes later;
// every fifth was escalated to the city after 60 s; the even ones are resolved after an hour.
const opened = (i: number) => at('2026-11-01T00:00:00+08:00', i * H);
const incidents: SeedIncident[] = Array.from({ length: 40 }, (_, i) => ({
  id: `alarm-${String(i).padStart(2, '0')}`,
  site: 'shop-1',
  jurisdiction: 'north-grid-1',
  type: i % 2 === 0 ? 'intrusion' : 'panic',
  confirmed: true,
  opened: opened(i),
  ack: at(opened(i), (i + 1) * 10_000),
  ...(i % 3 === 0
    ? { units: [{ unit: 'car-n1', at: at(opened(i), 60_000), arrived: at(opened(i), (i + 1) * 60_000) }] }
    : {}),
  ...(i % 5 === 0 ? { escalations: [{ step: 1, jurisdiction: 'city', at: at(opened(i), 60_000) }] } : {}),
  ...(i % 2 === 0 ? { closed: at(opened(i), H) } : {}),
}));
const ids = incidents.map((i) => i.id);

/** The report city with the forty alarms in its incident tables, none projected yet. */
async function seeded(dialect: 'sqlite' | 'postgres'): Promise<ReportFixture> {
  const f = await reportFixture({
    now: '2026-12-02T12:00:00+08:00',
    firstSync: '2026-10-01T00:00:00+08:00',
    bankAdded: '2026-10-01T00:00:00+08:00',
    dialect,
  });
  await seedIncidents(f.store.k, incidents);
  return f;
}

describe.each(['sqlite', 'postgres'] as const)('FactsProjector on %s', (dialect) => {
  let f: ReportFixture;

  beforeAll(async () => {
    f = await seeded(dialect);
  }, 60_000);

  afterAll(async () => {
    await f?.close();
    await stopSharedPostgres();
  });

  it('projects a batch larger than one slice: every incident, each with its own times', async () => {
    expect(await f.projector.refresh(ids)).toBe(40);
    const rows = await f.store.k.selectFrom('report_incidents').selectAll().orderBy('incident_id').execute();
    expect(rows.map((r) => r.incident_id)).toEqual(ids);
    for (const [i, r] of rows.entries()) {
      const o = Date.parse(opened(i));
      expect({
        type: r.type,
        opened: Number(r.opened_ms),
        ack: Number(r.ack_ms),
        dispatch: r.dispatch_ms === null ? null : Number(r.dispatch_ms),
        arrive: r.arrive_ms === null ? null : Number(r.arrive_ms),
        closed: r.closed_ms === null ? null : Number(r.closed_ms),
        escalations: Number(r.escalations),
        escalatedTo: r.escalated_to,
        hour: Number(r.local_hour),
      }).toEqual({
        type: i % 2 === 0 ? 'intrusion' : 'panic',
        opened: o,
        ack: o + (i + 1) * 10_000,
        dispatch: i % 3 === 0 ? o + 60_000 : null,
        arrive: i % 3 === 0 ? o + (i + 1) * 60_000 : null,
        closed: i % 2 === 0 ? o + H : null,
        escalations: i % 5 === 0 ? 1 : 0,
        escalatedTo: i % 5 === 0 ? 'city' : null,
        // Beijing time: the first alarm at midnight, one an hour after it.
        hour: i % 24,
      });
    }
    const dispatches = await f.store.k
      .selectFrom('report_dispatches')
      .select(['incident_id', 'unit', 'dispatched_ms', 'arrived_ms'])
      .orderBy('incident_id')
      .execute();
    expect(dispatches.map((d) => d.incident_id)).toEqual(ids.filter((_, i) => i % 3 === 0));
    expect(dispatches.map((d) => Number(d.arrived_ms) - Number(d.dispatched_ms))).toEqual(
      ids.flatMap((_, i) => (i % 3 === 0 ? [i * 60_000] : [])),
    );
  });

  it('projected again, a changed incident is overwritten and nothing is duplicated', async () => {
    await f.store.k
      .updateTable('incidents')
      .set({ state: 'false_alarm', closed_at: at(opened(37), 5 * 60_000) })
      .where('id', '=', 'alarm-37')
      .execute();
    expect(await f.projector.refresh(ids)).toBe(40);
    const rows = await f.store.k
      .selectFrom('report_incidents')
      .select(['incident_id', 'state', 'closed_ms'])
      .execute();
    expect(rows).toHaveLength(40);
    const changed = rows.find((r) => r.incident_id === 'alarm-37')!;
    expect({ state: changed.state, closed: Number(changed.closed_ms) }).toEqual({
      state: 'false_alarm',
      closed: Date.parse(opened(37)) + 5 * 60_000,
    });
    expect(await f.store.k.selectFrom('report_dispatches').select('incident_id').execute()).toHaveLength(14);
  });

  it("a camera's restore projected again (a node that lags) does not end the outage a later loss opened", async () => {
    // cam-1 lost at 10:00, back at 10:30, lost again at 11:00 (Beijing time), each stored as the core
    // stores it. One node projects all three; a second, behind, projects the restore again.
    const camera = (type: 'video_loss' | 'video_restore', receivedAt: string): NormalizedEvent => ({
      key: `replay:${type}:${receivedAt}`,
      source: 'camera',
      device: 'cam-1',
      site: 'shop-1',
      type,
      ts: receivedAt,
      receivedAt,
    });
    const lost = camera('video_loss', '2026-11-20T02:00:00.000Z');
    const back = camera('video_restore', '2026-11-20T02:30:00.000Z');
    const again = camera('video_loss', '2026-11-20T03:00:00.000Z');
    await f.store.k
      .insertInto('events')
      .values([lost, back, again].map((e) => ({ ...eventToRow(e), correlated_at: e.receivedAt })))
      .execute();
    await f.projector.applyEvents([lost, back, again]);
    await f.projector.applyEvents([back]);
    const outages = await f.store.k
      .selectFrom('report_outages')
      .select(['start_ms', 'end_ms'])
      .where('device', '=', 'cam-1')
      .orderBy('start_ms')
      .execute();
    expect(outages.map((o) => [Number(o.start_ms), o.end_ms === null ? null : Number(o.end_ms)])).toEqual([
      [Date.parse(lost.receivedAt), Date.parse(back.receivedAt)],
      [Date.parse(again.receivedAt), null],
    ]);
  });
});

describe('FactsProjector on SQLite, on the alarm thread', () => {
  let f: ReportFixture;

  beforeAll(async () => {
    f = await seeded('sqlite');
  }, 60_000);

  afterAll(async () => {
    await f?.close();
  });

  it('lets the event loop turn between slices: a batch never holds the alarm thread whole', async () => {
    // On SQLite every read and write of the projection is synchronous on this thread; what
    // arrives meanwhile (a panel's PUBLISH) waits until the projection gives the loop a turn.
    const turns = await turnsDuring(() => f.projector.refresh(ids));
    // 40 incidents in slices of 8: at least a turn between each two slices.
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
