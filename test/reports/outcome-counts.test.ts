import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthlyReport } from '../../src/reports/monthly-report.js';
import { monthlyCsv } from '../../src/reports/report-csv.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { type ReportFixture, reportFixture } from './report-fixture.js';
import { alarms, seedIncidents } from './seed-history.js';

const closed = (state: 'resolved' | 'false_alarm', outcome?: string) => (opened: number) => ({
  state,
  closed: new Date(opened + 600_000).toISOString(),
  ...(outcome ? { outcome } : {}),
});

/**
 * The monthly report counts closed alarms by how they were closed (结案 outcome, 误报 cause), for
 * the false-alarm follow-up with owners and installers: in the JSON and the CSV, on both databases.
 */
describe.each(['sqlite', 'postgres'] as const)('closing codes in the monthly report on %s', (dialect) => {
  let f: ReportFixture;

  beforeAll(async () => {
    f = await reportFixture({
      now: '2026-12-02T12:00:00+08:00',
      firstSync: '2026-10-01T00:00:00+08:00',
      bankAdded: '2026-10-01T00:00:00+08:00',
      dialect,
    });
    const at = '2026-11-03T10:00:00+08:00';
    await seedIncidents(f.store.k, [
      ...alarms('fault', 'shop-1', 'north-grid-1', at, 3, closed('false_alarm', 'device_fault')),
      ...alarms(
        'oops',
        'shop-1',
        'north-grid-1',
        '2026-11-04T10:00:00+08:00',
        1,
        closed('false_alarm', 'user_error'),
      ),
      ...alarms(
        'real',
        'school-2',
        'south',
        '2026-11-05T10:00:00+08:00',
        2,
        closed('resolved', 'real_handled'),
      ),
      // Closed before the codes (or by a caller that sends none), and one still open.
      ...alarms('old', 'school-2', 'south', '2026-11-06T10:00:00+08:00', 1, closed('resolved')),
      ...alarms('open', 'school-2', 'south', '2026-11-07T10:00:00+08:00', 1),
    ]);
    await f.project();
  }, 60_000);

  afterAll(async () => {
    await f?.close();
    await stopSharedPostgres();
  });

  it('figures.counts.byOutcome: every code in order with its words, the uncoded apart', async () => {
    const r = await monthlyReport(f.deps, { node: 'city', month: '2026-11' });
    const counts = r.figures.counts.byOutcome.map((o) => [o.state, o.outcome, o.label, o.count]);
    expect(counts).toEqual([
      ['resolved', 'real_handled', '真实警情·已处置', 2],
      ['resolved', 'real_transferred', '真实警情·已移交（消防、急救等）', 0],
      ['resolved', 'no_trace', '警情已消除·未发现异常', 0],
      ['resolved', 'test', '测试或演练', 0],
      ['resolved', 'other', '其他（在备注中说明）', 0],
      ['resolved', null, '未填写', 1],
      ['false_alarm', 'user_error', '用户误操作', 1],
      ['false_alarm', 'device_fault', '设备故障', 3],
      ['false_alarm', 'environment', '环境因素（宠物、天气、光线）', 0],
      ['false_alarm', 'works', '施工或维修未报备', 0],
      ['false_alarm', 'unknown', '原因不明', 0],
      ['false_alarm', null, '未填写', 0],
    ]);
    // The existing counts are unchanged by the codes.
    expect(r.figures.counts).toMatchObject({ alarms: 8, falseAlarms: 4 });
    const south = await monthlyReport(f.deps, { node: 'south', month: '2026-11' });
    expect(
      south.figures.counts.byOutcome.filter((o) => o.count > 0).map((o) => [o.outcome, o.count]),
    ).toEqual([
      ['real_handled', 2],
      [null, 1],
    ]);
  });

  it('the CSV has a counts_by_outcome row per code', async () => {
    const csv = monthlyCsv(await monthlyReport(f.deps, { node: 'city', month: '2026-11' }));
    const rows = csv.split('\r\n').filter((l) => l.startsWith('counts_by_outcome,'));
    expect(rows).toContain('counts_by_outcome,city,false_alarm,device_fault,3');
    expect(rows).toContain('counts_by_outcome,city,false_alarm,user_error,1');
    expect(rows).toContain('counts_by_outcome,city,resolved,real_handled,2');
    expect(rows).toContain('counts_by_outcome,city,resolved,none,1');
    expect(rows).toHaveLength(12);
  });
});
