import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import type { Storm } from '../../src/workflow/storm/storm-store.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api } from '../helpers/service.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;

/** A supervisor's storm for a street's cameras gone dark. */
const OUTAGE = {
  node: 'north',
  categories: ['video_loss'],
  action: 'demote',
  minutes: 60,
  reason: '大面积视频中断',
};

const CITY = `${WORKFLOW_CITY_YAML}
schedules:
  timezone: Asia/Shanghai
  sites:
    bank-2: { hours: { mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00" } }
  testTimers:
    panel-1: { everyHours: 1, graceMinutes: 0 }
  checkSeconds: 3600
`;

afterAll(() => stopSharedPostgres(), 60_000);

/**
 * Every workflow store's queries through the running service on SQLite and on PostgreSQL (issue 16's
 * second dialect): plans, ownership, calls, confirmations and forwards, test mode and its events,
 * desk schedule changes, storms and the events they hold, runaway panels, panel test timers, the
 * status strip. The same answers on both.
 */
describe.each(SERVICE_BACKENDS)('workflow stores on %s', (_name, storage) => {
  let rig: WorkflowRig;
  let shop: Panel;
  let bank: Panel;
  let op: string;
  let sup: string;

  beforeEach(async () => {
    rig = await startWorkflowRig(`${CITY}${await storage()}`);
    op = await rig.svc.login('op-a', 'operator', 'city');
    sup = await rig.svc.login('sup', 'supervisor', 'city');
    shop = await rig.panel('panel-1', 'secret-panel-1');
    bank = await rig.panel('panel-2', 'secret-panel-2');
  }, 120_000);
  afterEach(async () => {
    await shop?.end();
    await bank?.end();
    await rig?.svc.close();
  });

  const incidents = async (site: string) =>
    (await api<{ incidents: Inc[] }>(rig.url(`/api/incidents?site=${site}`), sup)).body.incidents;
  const get = async (id: string) => (await api<Inc>(rig.url(`/api/incidents/${id}`), sup)).body;
  const status = async () =>
    (
      await api<{
        storms: (Storm & { held: number })[];
        runaways: { device: string }[];
        testModes: { site: string }[];
      }>(rig.url('/api/workflow/status'), sup)
    ).body;

  it('plan, holder, calls, confirmation and forward; a line cut names its rule', async () => {
    await shop.send('d-1', 'panic', '1');
    await expect.poll(async () => (await incidents('shop-1')).length).toBe(1);
    const [inc] = await incidents('shop-1');
    expect(inc!.plan?.name).toBe('panic-duress');
    expect((await rig.post(`/api/incidents/${inc!.id}/take`, op)).status).toBe(200);
    expect(
      (await rig.post(`/api/incidents/${inc!.id}/steps/review-video`, op, { outcome: 'nothing_seen' }))
        .status,
    ).toBe(200);
    expect(
      (await rig.post(`/api/incidents/${inc!.id}/calls`, op, { contact: 0, result: 'no_answer' })).status,
    ).toBe(201);
    const now = await get(inc!.id);
    expect(now).toMatchObject({
      owner: { username: 'op-a' },
      calls: [{ name: '王店长', result: 'no_answer' }],
      confirmation: { rule: 'panic-callback', kind: 'panic_callback', detail: { unanswered: 1 } },
      forward: { station: 'north' },
    });
    expect(now.plan?.steps.find((s) => s.id === 'review-video')).toMatchObject({ outcome: 'nothing_seen' });
    await rig.post(`/api/incidents/${inc!.id}/false-alarm`, op);

    await shop.send('d-2', 'intrusion', '2');
    await expect
      .poll(async () => (await incidents('shop-1')).filter((i) => i.state === 'new').length)
      .toBe(1);
    const intrusion = (await incidents('shop-1')).find((i) => i.state === 'new')!;
    await shop.client.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'd-cut', type: 'trouble', cid: 'E350', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    await expect
      .poll(async () => (await get(intrusion.id)).confirmation)
      .toMatchObject({ rule: 'line-cut', kind: 'communication_loss' });
  });

  it('test mode, a schedule change, a storm and a runaway panel, as the status strip shows them', async () => {
    expect((await rig.post('/api/sites/bank-2/test-mode', op, { minutes: 10, reason: '维修' })).status).toBe(
      201,
    );
    await bank.send('t-1', 'intrusion', '1');
    const history = async () =>
      (await api<{ recent: { events: { type: string }[] }[] }>(rig.url('/api/sites/bank-2/test-mode'), op))
        .body;
    await expect
      .poll(async () => (await history()).recent[0]?.events.map((e) => e.type))
      .toEqual(['intrusion']);
    expect((await status()).testModes.map((m) => m.site)).toEqual(['bank-2']);
    expect((await api(rig.url('/api/sites/bank-2/test-mode'), op, { method: 'DELETE' })).status).toBe(200);
    expect((await status()).testModes).toEqual([]);

    const day = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10);
    const change = await rig.post<{ id: string }>('/api/sites/bank-2/schedule-changes', op, {
      from: day,
      hours: '10:00-12:00',
      reason: '盘点',
    });
    expect(change.status).toBe(201);
    const schedule = async () =>
      (await api<{ deskChanges: { id: string }[] }>(rig.url('/api/sites/bank-2/schedule'), op)).body
        .deskChanges;
    expect((await schedule()).map((c) => c.id)).toEqual([change.body.id]);
    await api(rig.url(`/api/sites/bank-2/schedule-changes/${change.body.id}`), op, { method: 'DELETE' });
    expect(await schedule()).toEqual([]);

    const storm = await rig.post<Storm>('/api/storms', sup, {
      node: 'south',
      categories: ['trouble'],
      action: 'hold',
      minutes: 30,
      reason: '停电',
    });
    await bank.send('s-1', 'trouble');
    await expect
      .poll(async () => (await status()).storms.map((s) => [s.id, s.held]))
      .toEqual([[storm.body.id, 1]]);
    expect((await api(rig.url(`/api/storms/${storm.body.id}`), sup, { method: 'DELETE' })).status).toBe(200);
    await expect
      .poll(async () => (await incidents('bank-2')).filter((i) => i.kind === 'maintenance').length)
      .toBe(1);

    await bank.send('r-0', 'panic', '1');
    for (let i = 1; i <= 14; i++) await bank.send(`r-${i}`, 'intrusion', String((i % 3) + 1));
    await expect.poll(async () => (await status()).runaways.map((r) => r.device)).toEqual(['panel-2']);
    rig.advance(6 * 60_000);
    await rig.tick();
    expect((await status()).runaways).toEqual([]);
  });

  /** A new panic at the shop, and an operator logged in for each of `how` (`op-<how>-<round>`). */
  const newAlarm = async (key: string, how: readonly string[], round: number) => {
    await shop.send(key, 'panic', '1');
    await expect
      .poll(async () => (await incidents('shop-1')).filter((i) => i.state === 'new').length)
      .toBe(1);
    const inc = (await incidents('shop-1')).find((i) => i.state === 'new')!;
    const desks = await Promise.all(how.map((h) => rig.svc.login(`op-${h}-${round}`, 'operator', 'city')));
    return { inc, desks };
  };

  /** Who holds incident `id` now (its owner rows not released). */
  const holders = (id: string) =>
    rig.svc.svc
      .need('store')
      .k.selectFrom('incident_owners')
      .select('owner')
      .where('incident_id', '=', id)
      .where('released_at', 'is', null)
      .execute();

  it('five operators taking the same new alarm at the same instant: one holds it, the others are told who', async () => {
    await shop.send('race-1', 'panic', '1');
    await expect.poll(async () => (await incidents('shop-1')).length).toBe(1);
    const [inc] = await incidents('shop-1');
    const ops = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => rig.svc.login(`op-race-${i}`, 'operator', 'city')),
    );
    const answers = await Promise.all(
      ops.map((t) =>
        rig.post<Inc & { error?: { code: string; data: { owner: string } } }>(
          `/api/incidents/${inc!.id}/take`,
          t,
        ),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const owner = answers.find((a) => a.status === 200)!.body.owner?.username;
    expect(owner).toMatch(/^op-race-\d$/);
    for (const a of answers.filter((x) => x.status === 409))
      expect(a.body.error).toMatchObject({ code: 'owned_by_other', data: { owner } });
    const held = await rig.svc.svc
      .need('store')
      .k.selectFrom('incident_owners')
      .select(['owner', 'released_at'])
      .where('incident_id', '=', inc!.id)
      .execute();
    expect(held).toEqual([{ owner, released_at: null }]);
    expect((await get(inc!.id)).owner?.username).toBe(owner);
    // Taking it again is harmless; a takeover is still how another gets it.
    const mine = ops[answers.findIndex((a) => a.status === 200)]!;
    expect((await rig.post(`/api/incidents/${inc!.id}/take`, mine)).status).toBe(200);
    const other = ops.find((t) => t !== mine)!;
    expect(
      (await rig.post<Inc>(`/api/incidents/${inc!.id}/take`, other, { takeover: true })).body.owner?.username,
    ).not.toBe(owner);
  });

  it('a desk acknowledging a new alarm (which takes it) while another takes it at the same instant: one holds it, the other is told who', async () => {
    // Several rounds: which desk's request reaches the store first varies, and either order must
    // leave one holder.
    for (let round = 1; round <= 4; round++) {
      const { inc, desks } = await newAlarm(`ack-take-${round}`, ['ack', 'take'], round);
      const [acker, taker] = desks;
      const answers = await Promise.all([
        rig.post<Inc & { error?: { code: string; data: { owner: string } } }>(
          `/api/incidents/${inc.id}/ack`,
          acker!,
        ),
        rig.post<Inc & { error?: { code: string; data: { owner: string } } }>(
          `/api/incidents/${inc.id}/take`,
          taker!,
        ),
      ]);
      const held = await holders(inc.id);
      expect(held, `round ${round}: ${answers.map((a) => a.status)}`).toHaveLength(1);
      const owner = held[0]!.owner;
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      expect(answers.find((a) => a.status === 409)!.body.error).toMatchObject({
        code: 'owned_by_other',
        data: { owner },
      });
      expect((await get(inc.id)).owner?.username).toBe(owner);
      // Its holder closes it, so the next round's panic opens a new alarm.
      const holder = owner === `op-ack-${round}` ? acker! : taker!;
      expect((await rig.post(`/api/incidents/${inc.id}/false-alarm`, holder)).status).toBe(200);
    }
  });

  it('a desk acknowledging an alarm while another closes it as false at the same instant: the one refused keeps nothing of its click', async () => {
    for (let round = 1; round <= 4; round++) {
      const { inc, desks } = await newAlarm(`ack-close-${round}`, ['ack', 'close'], round);
      const [acker, closer] = desks;
      const answers = await Promise.all([
        rig.post<Inc>(`/api/incidents/${inc.id}/ack`, acker!),
        rig.post<Inc>(`/api/incidents/${inc.id}/false-alarm`, closer!),
      ]);
      expect(answers.map((a) => a.status).sort(), `round ${round}`).toEqual([200, 409]);
      const now = await get(inc.id);
      const held = await holders(inc.id);
      if (answers[0]!.status === 200) {
        // Acknowledged first: the acker holds it, the closer was told who.
        expect(now.state).toBe('acknowledged');
        expect(held).toEqual([{ owner: `op-ack-${round}` }]);
        expect((await rig.post(`/api/incidents/${inc.id}/false-alarm`, acker!)).status).toBe(200);
      } else {
        // Closed first: the refused acknowledgement took nothing (before, the acker held a closed alarm).
        expect(now.state, `round ${round}`).toBe('false_alarm');
        expect(held, `round ${round}`).toEqual([]);
      }
    }
  });

  it('one car sent again to its alarm from two clicks at once, and its arrival reported twice: one line each in the record', async () => {
    await shop.send('again-1', 'panic', '1');
    await expect.poll(async () => (await incidents('shop-1')).length).toBe(1);
    const [inc] = await incidents('shop-1');
    expect((await rig.post(`/api/incidents/${inc!.id}/ack`, op)).status).toBe(200);
    expect((await rig.post(`/api/incidents/${inc!.id}/dispatch`, op, { unit: 'north-car-1' })).status).toBe(
      200,
    );
    const twice = await Promise.all(
      [1, 2].map(() => rig.post(`/api/incidents/${inc!.id}/dispatch`, op, { unit: 'north-car-2' })),
    );
    expect(twice.map((a) => a.status)).toEqual([200, 200]);
    expect((await rig.post(`/api/incidents/${inc!.id}/on-scene`, op, { unit: 'north-car-1' })).status).toBe(
      200,
    );
    const arrived = await Promise.all(
      [1, 2].map(() => rig.post(`/api/incidents/${inc!.id}/on-scene`, op, { unit: 'north-car-2' })),
    );
    expect(arrived.map((a) => a.status)).toEqual([200, 200]);
    const lines = async (prefix: string) =>
      (
        await rig.svc.svc
          .need('store')
          .k.selectFrom('audit_log')
          .select('detail')
          .where('target', '=', `incident:${inc!.id}`)
          .where('action', '=', 'incident.annotation')
          .execute()
      )
        .map((r) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail).what as string)
        .filter((what) => what.startsWith(prefix))
        .sort();
    // The audit follows the outbox in order: once a later note's line is there, every earlier one is.
    expect((await rig.post(`/api/incidents/${inc!.id}/notes`, op, { text: '已到场' })).status).toBe(201);
    await expect.poll(async () => (await lines('note')).length).toBe(1);
    expect(await lines('unit north-car-2')).toEqual([
      'unit north-car-2 dispatched',
      'unit north-car-2 on scene',
    ]);
    const units = (await get(inc!.id)).units ?? [];
    expect(units.map((u) => u.unit).sort()).toEqual(['north-car-1', 'north-car-2']);
  });

  it('one patrol car dispatched from two desks to two alarms at the same instant goes to one; the other desk is told where it is', async () => {
    await shop.send('car-1', 'panic', '1');
    await bank.send('car-2', 'panic', '1');
    await expect
      .poll(async () => (await incidents('shop-1')).length + (await incidents('bank-2')).length)
      .toBe(2);
    const ids = [(await incidents('shop-1'))[0]!.id, (await incidents('bank-2'))[0]!.id];
    const desks = await Promise.all([1, 2].map((i) => rig.svc.login(`op-car-${i}`, 'operator', 'city')));
    for (const [i, id] of ids.entries())
      expect((await rig.post(`/api/incidents/${id}/ack`, desks[i]!)).status).toBe(200);
    const answers = await Promise.all(
      ids.map((id, i) =>
        rig.post<{ error?: { code: string; data: { busy: string } } }>(
          `/api/incidents/${id}/dispatch`,
          desks[i]!,
          {
            unit: 'north-car-1',
          },
        ),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const went = ids[answers.findIndex((a) => a.status === 200)]!;
    expect(answers.find((a) => a.status === 409)!.body.error).toMatchObject({
      code: 'unit_busy',
      data: { busy: went },
    });
    const rows = await rig.svc.svc
      .need('store')
      .k.selectFrom('incident_units')
      .select('incident_id')
      .where('unit', '=', 'north-car-1')
      .execute();
    expect(rows).toEqual([{ incident_id: went }]);
  });

  it('storm mode clicked on five desks at the same instant starts one storm; the others are told whose', async () => {
    const sups = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => rig.svc.login(`sup-${i}`, 'supervisor', 'city')),
    );
    const answers = await Promise.all(sups.map((t) => rig.post<Storm>('/api/storms', t, OUTAGE)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const started = answers.find((a) => a.status === 201)!.body;
    for (const a of answers.filter((x) => x.status === 409))
      expect(a.body).toMatchObject({ error: { code: 'storm_in_force', data: { storm: started.id } } });
    expect((await status()).storms.map((s) => s.id)).toEqual([started.id]);
    const audited = await rig.svc.svc
      .need('store')
      .k.selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'storm.start')
      .execute();
    expect(audited.map((a) => a.actor)).toEqual([started.by]);
  });

  it('a desk whose clock is behind the one that started a storm (another node, or a request that read the time first and came second) is told of it', async () => {
    const first = await rig.post<Storm>('/api/storms', sup, OUTAGE);
    expect(first.status).toBe(201);
    rig.advance(-50);
    const behind = await rig.post<{ error: { code: string; data: { storm: string } } }>(
      '/api/storms',
      sup,
      OUTAGE,
    );
    rig.advance(50);
    expect(behind.status).toBe(409);
    expect(behind.body.error).toMatchObject({ code: 'storm_in_force', data: { storm: first.body.id } });
  });

  it('test mode started from five desks at once, then from a desk whose clock is behind, leaves one mode in force: the last one', async () => {
    const open = async () =>
      (
        await rig.svc.svc
          .need('store')
          .k.selectFrom('test_modes')
          .select(['reason', 'ends_at'])
          .where('site', '=', 'bank-2')
          .where('ended_at', 'is', null)
          .execute()
      ).map((m) => m.reason);
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        rig.post('/api/sites/bank-2/test-mode', op, { minutes: 10 * i, reason: `维修 ${i}` }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await open()).toHaveLength(1);
    rig.advance(-50);
    const behind = await rig.post('/api/sites/bank-2/test-mode', op, { minutes: 5, reason: '慢钟' });
    rig.advance(50);
    expect(behind.status).toBe(201);
    expect(await open()).toEqual(['慢钟']);
    expect((await api(rig.url('/api/sites/bank-2/test-mode'), op, { method: 'DELETE' })).status).toBe(200);
    expect(await open()).toEqual([]);
  });

  /**
   * A storm holding the bank's troubles that has held one (`key`), then ended in the store, not by
   * the route (which would release it at once): each node's maintainer finds it to release. Its id.
   */
  const endedStormHolding = async (key: string, round: number): Promise<string> => {
    const storm = await rig.post<Storm>('/api/storms', sup, {
      node: 'south',
      categories: ['trouble'],
      action: 'hold',
      minutes: 30,
      reason: `停电 ${round}`,
    });
    expect(storm.status).toBe(201);
    await bank.send(key, 'trouble');
    await expect.poll(async () => (await status()).storms.find((s) => s.id === storm.body.id)?.held).toBe(1);
    await rig.svc.svc
      .need('store')
      .k.updateTable('storms')
      .set({ ended_at: new Date().toISOString(), ended_by: 'sup' })
      .where('id', '=', storm.body.id)
      .execute();
    return storm.body.id;
  };

  it('a storm ending on two nodes at the same instant decides each held event once', async () => {
    const m = rig.svc.svc.part<{ releaseStorms(): Promise<void> }>('workflow.maintainer');
    const k = rig.svc.svc.need('store').k;
    const tickets = async () => (await incidents('bank-2')).filter((i) => i.kind === 'maintenance');
    // Several rounds: which node's decision commits first varies.
    for (let round = 1; round <= 3; round++) {
      const storm = await endedStormHolding(`held-${round}`, round);
      await Promise.all([m.releaseStorms(), m.releaseStorms(), m.releaseStorms()]);
      const open = (await tickets()).filter((t) => t.state === 'new');
      expect(open, `round ${round}`).toHaveLength(1);
      const held = await k.selectFrom('held_events').select('outcome').where('storm', '=', storm).execute();
      expect(held, `round ${round}`).toEqual([{ outcome: open[0]!.id }]);
      expect(await get(open[0]!.id), `round ${round}`).toMatchObject({ events: [{ type: 'trouble' }] });
      const audited = await k
        .selectFrom('audit_log')
        .select('detail')
        .where('action', '=', 'storm.released')
        .where('detail', 'like', `%${storm}%`)
        .execute();
      expect(audited, `round ${round}`).toHaveLength(1);
      // Closed, so the next round's trouble opens a ticket of its own.
      expect((await rig.post(`/api/incidents/${open[0]!.id}/false-alarm`, sup)).status).toBe(200);
    }
  });

  it('a held trouble released at the instant the same panel sends another goes to one ticket', async () => {
    const m = rig.svc.svc.part<{ releaseStorms(): Promise<void> }>('workflow.maintainer');
    // Several rounds: whether the release's decision and the live one overlap varies.
    for (let round = 1; round <= 5; round++) {
      await endedStormHolding(`held-live-${round}`, round);
      await Promise.all([m.releaseStorms(), bank.send(`live-${round}`, 'trouble')]);
      const open = (await incidents('bank-2')).filter((i) => i.kind === 'maintenance' && i.state === 'new');
      expect(open, `round ${round}`).toHaveLength(1);
      expect((await get(open[0]!.id)).events, `round ${round}`).toHaveLength(2);
      expect((await rig.post(`/api/incidents/${open[0]!.id}/false-alarm`, sup)).status).toBe(200);
    }
  });

  it('test mode ended from three desks at the same instant ends once: one 200, the others 404, one audit row', async () => {
    const k = rig.svc.svc.need('store').k;
    // Several rounds: whether the desks' reads and writes interleave varies.
    for (let round = 1; round <= 4; round++) {
      const started = await rig.post<{ id: string }>('/api/sites/bank-2/test-mode', op, {
        minutes: 10,
        reason: `维修 ${round}`,
      });
      expect(started.status).toBe(201);
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          api<{ error?: { code: string } }>(rig.url('/api/sites/bank-2/test-mode'), op, { method: 'DELETE' }),
        ),
      );
      expect(answers.map((a) => a.status).sort(), `round ${round}`).toEqual([200, 404, 404]);
      for (const a of answers.filter((x) => x.status === 404)) expect(a.body.error?.code).toBe('not_in_test');
      const audited = await k
        .selectFrom('audit_log')
        .select('actor')
        .where('action', '=', 'site.test_mode.end')
        .where('detail', 'like', `%${started.body.id}%`)
        .execute();
      expect(audited, `round ${round}`).toHaveLength(1);
    }
  });

  it('a missed test report raises the trouble; the next closes it (panel test timers)', async () => {
    await shop.send('tt-1', 'test');
    await rig.tick();
    rig.advance(61 * 60_000);
    await rig.tick();
    const tickets = async () => (await incidents('shop-1')).filter((i) => i.kind === 'maintenance');
    await expect.poll(async () => (await tickets()).map((t) => t.state)).toEqual(['new']);
    await shop.send('tt-2', 'test');
    await expect
      .poll(async () => {
        await rig.tick();
        return (await tickets())[0]?.state;
      })
      .toBe('resolved');
  });
});
