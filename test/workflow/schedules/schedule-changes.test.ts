import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident-types.js';
import { localDate } from '../../../src/workflow/schedules/opening-hours.js';
import { api } from '../../helpers/service.js';
import {
  type Err,
  type Panel,
  startWorkflowRig,
  WORKFLOW_CITY_YAML,
  type WorkflowRig,
} from '../workflow-fixture.js';

const TZ = 'Asia/Shanghai';
const today = () => localDate(Date.now(), TZ);
const dayFrom = (n: number) => localDate(Date.now() + n * 86_400_000, TZ);

interface Change {
  id: string;
  from: string;
  to: string;
  hours: string;
  reason: string;
  by: string;
}

describe('temporary opening-hours changes from the desk (real broker)', () => {
  let rig: WorkflowRig;
  let bank: Panel;
  let op: string;

  beforeAll(async () => {
    // The bank is open around the clock, every day: only a desk change can make a disarm unexpected.
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
      .map((d) => `${d}: "00:00-24:00"`)
      .join(', ');
    rig = await startWorkflowRig(`${WORKFLOW_CITY_YAML}
schedules:
  timezone: ${TZ}
  sites:
    # No early opening: with the default 30 minutes, a disarm after 23:30 on a day closed by the
    # desk is expected (the next day opens at midnight), and the first test failed between 23:30 and
    # 24:00 Shanghai time (15:30-16:00 UTC: a CI run at that hour).
    bank-2: { hours: { ${days} }, openEarlyMinutes: 0 }
  checkSeconds: 3600
`);
    op = await rig.svc.login('op', 'operator', 'city');
    bank = await rig.panel('panel-2', 'secret-panel-2');
  });
  afterAll(async () => {
    await bank?.end();
    await rig?.svc.close();
  });

  const incidents = async () =>
    (await api<{ incidents: Incident[] }>(rig.url('/api/incidents?site=bank-2'), op)).body.incidents;
  const del = (p: string, token: string) => api<Err>(rig.url(p), token, { method: 'DELETE' });

  it('a change closing the site today makes a disarm unexpected; deleting it restores the hours', async () => {
    const made = await rig.post<Change>('/api/sites/bank-2/schedule-changes', op, {
      from: today(),
      hours: 'closed',
      reason: '停电检修',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ from: today(), to: today(), hours: 'closed', reason: '停电检修' });
    const schedule = await api<{ deskChanges: Change[]; scheduled: boolean }>(
      rig.url('/api/sites/bank-2/schedule'),
      op,
    );
    expect(schedule.body.scheduled).toBe(true);
    expect(schedule.body.deskChanges).toEqual([expect.objectContaining({ id: made.body.id, by: 'op' })]);

    await bank.send('sc-d1', 'disarm');
    await expect.poll(async () => (await incidents()).map((i) => i.rule)).toEqual(['unexpected-opening']);
    const [inc] = await incidents();
    await rig.post(`/api/incidents/${inc!.id}/false-alarm`, op);

    expect((await del(`/api/sites/bank-2/schedule-changes/${made.body.id}`, op)).status).toBe(200);
    expect((await del(`/api/sites/bank-2/schedule-changes/${made.body.id}`, op)).status).toBe(404);
    await bank.send('sc-d2', 'disarm');
    // Closed again, a third disarm is unexpected: once it is raised, the sink has judged the second.
    const again = await rig.post<Change>('/api/sites/bank-2/schedule-changes', op, {
      from: today(),
      hours: 'closed',
      reason: '再次停电',
    });
    await bank.send('sc-d3', 'disarm');
    const raisedFor = async () =>
      (await incidents())
        .flatMap((i) => i.events.map((e) => e.key))
        .filter((k) => k.includes('unexpected-'))
        .map((k) => k.replace(/.*unexpected-.*?(sc-d\d)$/, '$1'));
    await expect.poll(raisedFor).toContain('sc-d3');
    expect(await raisedFor()).not.toContain('sc-d2');
    await del(`/api/sites/bank-2/schedule-changes/${again.body.id}`, op);

    const audit = await api<{ entries: { action: string; actor: string }[] }>(
      rig.url('/api/audit?target=site:bank-2'),
      await rig.svc.login('sup', 'supervisor', 'city'),
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['site.schedule_change.add', 'site.schedule_change.delete']),
    );
  });

  it.each([
    [
      'hours that do not parse',
      'bank-2',
      { from: dayFrom(1), hours: '8-20', reason: '装修' },
      400,
      'bad_request',
    ],
    [
      '`to` before `from`',
      'bank-2',
      { from: dayFrom(2), to: dayFrom(1), hours: 'closed', reason: '装修' },
      400,
      'bad_range',
    ],
    [
      'a change over 62 days',
      'bank-2',
      { from: dayFrom(1), to: dayFrom(80), hours: 'closed', reason: '装修' },
      400,
      'bad_range',
    ],
    [
      'a date already past',
      'bank-2',
      { from: dayFrom(-2), hours: 'closed', reason: '装修' },
      400,
      'date_past',
    ],
    ['no reason', 'bank-2', { from: dayFrom(1), hours: 'closed', reason: '' }, 400, 'bad_request'],
    [
      'an unknown field',
      'bank-2',
      { from: dayFrom(1), hours: 'closed', reason: '装修', x: 1 },
      400,
      'bad_request',
    ],
    [
      'a site without opening hours',
      'shop-1',
      { from: dayFrom(1), hours: 'closed', reason: '装修' },
      409,
      'no_schedule',
    ],
    ['an unknown site', 'nope', { from: dayFrom(1), hours: 'closed', reason: '装修' }, 404, 'not_found'],
  ])('refuses %s', async (_what, site, body, status, code) => {
    const before = await api<{ deskChanges: Change[] }>(rig.url('/api/sites/bank-2/schedule'), op);
    const res = await rig.post<Err>(`/api/sites/${site}/schedule-changes`, op, body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toBeTruthy();
    const after = await api<{ deskChanges: Change[] }>(rig.url('/api/sites/bank-2/schedule'), op);
    expect(after.body.deskChanges).toEqual(before.body.deskChanges);
  });

  it('keeps to the user’s scope and the desk roles', async () => {
    const north = await rig.svc.login('north-op', 'operator', 'north');
    const body = { from: dayFrom(1), hours: '10:00-16:00', reason: '节前调整' };
    const outside = await rig.post<Err>('/api/sites/bank-2/schedule-changes', north, body);
    expect([outside.status, outside.body.error.code]).toEqual([404, 'not_found']);
    const investigator = await rig.svc.login('inv', 'investigator', 'city');
    expect((await rig.post<Err>('/api/sites/bank-2/schedule-changes', investigator, body)).status).toBe(403);
    const mine = await rig.post<Change>('/api/sites/bank-2/schedule-changes', op, body);
    expect(mine.status).toBe(201);
    expect((await del(`/api/sites/bank-2/schedule-changes/${mine.body.id}`, north)).status).toBe(404);
    expect((await del(`/api/sites/bank-2/schedule-changes/${mine.body.id}`, op)).status).toBe(200);
  });
});
