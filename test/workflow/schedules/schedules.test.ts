import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident-types.js';
import type { WorkflowFields } from '../../../src/workflow/workflow-view.js';
import { api } from '../../helpers/service.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from '../workflow-fixture.js';

type Inc = Incident & WorkflowFields;

/** HH:MM in Beijing time, `minutes` from now (wrapping past midnight). */
function bjClock(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000 + 8 * 3600_000);
  return d.toISOString().slice(11, 16);
}

describe('schedules and test timers (real broker, fake clock)', () => {
  let rig: WorkflowRig;
  let shop: Panel;
  let bank: Panel;
  let op: string;

  beforeAll(async () => {
    // The shop is closed every day; the bank is open from an hour ago for another half hour (every day).
    const window = `${bjClock(-60)}-${bjClock(30)}`;
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => `${d}: "${window}"`).join(', ');
    rig = await startWorkflowRig(`${WORKFLOW_CITY_YAML}
schedules:
  timezone: Asia/Shanghai
  sites:
    shop-1: { hours: {} }
    bank-2: { hours: { ${days} }, closeGraceMinutes: 15 }
  testTimers:
    panel-1: { everyHours: 1, graceMinutes: 0 }
  checkSeconds: 3600
`);
    op = await rig.svc.login('sup', 'supervisor', 'city');
    shop = await rig.panel('panel-1', 'secret-panel-1');
    bank = await rig.panel('panel-2', 'secret-panel-2');
  });
  afterAll(async () => {
    await shop?.end();
    await bank?.end();
    await rig?.svc.close();
  });

  const incidents = async (site: string) =>
    (await api<{ incidents: Inc[] }>(rig.url(`/api/incidents?site=${site}`), op)).body.incidents;

  it('a disarm outside opening hours raises an unexpected opening (P3, the schedule plan)', async () => {
    await shop.send('d-1', 'disarm');
    await expect
      .poll(async () => (await incidents('shop-1')).map((i) => i.rule))
      .toEqual(['unexpected-opening']);
    const [inc] = await incidents('shop-1');
    expect(inc).toMatchObject({ priority: 3, kind: 'alarm', plan: { name: 'schedule' } });
    await rig.post(`/api/incidents/${inc!.id}/false-alarm`, op);
  });

  it('a disarm within the hours raises nothing; still disarmed after closing plus grace is late to close, once', async () => {
    await bank.send('d-2', 'disarm');
    await rig.tick();
    expect(await incidents('bank-2')).toEqual([]);
    rig.advance(30 * 60_000 + 14 * 60_000); // closing + 14 min: within the grace
    await rig.tick();
    expect(await incidents('bank-2')).toEqual([]);
    rig.advance(2 * 60_000);
    await rig.tick();
    await rig.tick(); // a second pass (or a restart) raises it no second time
    const late = await incidents('bank-2');
    expect(late.map((i) => [i.rule, i.priority])).toEqual([['late-to-close', 3]]);
    await rig.post(`/api/incidents/${late[0]!.id}/false-alarm`, op);
  });

  it('a missed test report raises a trouble ticket; the next report closes it', async () => {
    await shop.send('t-1', 'test');
    await rig.tick();
    const tickets = async () => (await incidents('shop-1')).filter((i) => i.kind === 'maintenance');
    expect(await tickets()).toEqual([]);
    rig.advance(61 * 60_000);
    await rig.tick();
    await rig.tick();
    const [ticket] = await tickets();
    expect(ticket).toMatchObject({ state: 'new', priority: 4 });
    expect((await tickets()).length).toBe(1);
    await shop.send('t-2', 'test');
    await expect
      .poll(async () => {
        await rig.tick();
        return (await tickets())[0]?.state;
      })
      .toBe('resolved');
  });
});
