import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { Directory } from '../../src/core/directory.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { NoticeMaintainer } from '../../src/notices/notice-maintainer.js';
import { type NoticeEmit, NoticeService } from '../../src/notices/notice-service.js';
import { NoticeStore } from '../../src/notices/notice-store.js';
import { NoticeWatchlist } from '../../src/notices/notice-watchlist.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { REPORT_CITY } from '../reports/report-fixture.js';

const T0 = Date.parse('2026-12-02T09:00:00+08:00');
const MIN = 60_000;

interface World {
  clock: { now: number };
  sent: { node: string; event: string; payload: Record<string, unknown> }[];
  service: NoticeService;
  /** A maintainer as after a restart: built afresh on the same file, knowing only stored times. */
  maintainer(): NoticeMaintainer;
  store: NoticeStore;
  watchlist: NoticeWatchlist;
}

let dir: string;
let db: SqliteStore;
let w: World;

function world(file: string): World {
  db = new SqliteStore(file);
  const config = parseConfig(REPORT_CITY(true), 'city.yaml');
  const tree = new Directory(config).tree;
  const clock = { now: T0 };
  const sent: World['sent'] = [];
  const emit: NoticeEmit = (node, event, payload) =>
    sent.push({ node, event, payload: payload as Record<string, unknown> });
  const store = new NoticeStore(db.k);
  const watchlist = new NoticeWatchlist(() => clock.now);
  const metrics = new Metrics({ defaults: false });
  const service = new NoticeService({
    store,
    tree,
    config: config.notices,
    emit,
    watchlist,
    log: silentLogger,
    metrics,
    now: () => clock.now,
  });
  const maintainer = () =>
    new NoticeMaintainer({
      store,
      emit,
      cityNodes: ['city'],
      nodeName: (id) => tree.get(id)?.name ?? id,
      checkSeconds: 1,
      log: silentLogger,
      metrics,
      now: () => clock.now,
    });
  return { clock, sent, service, maintainer, store, watchlist };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-notices-'));
  w = world(join(dir, 'sharpeyes.db'));
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const centre = { username: 'centre-duty', scope: 'city' };
const events = (event: string) => w.sent.filter((s) => s.event === event);

describe('notices through reminder and the city-wide list (fake clock)', () => {
  it('pops up at each node, reminds the silent at 5 min, lists the still silent at 30 min, keeps receipt times', async () => {
    const id = await w.service.send(centre, { to: ['north', 'south', 'north-grid-1'], text: '今晚加强巡逻' });
    expect(events('notice:new').map((e) => e.node)).toEqual(['north', 'south', 'north-grid-1']);

    w.clock.now = T0 + 2 * MIN;
    await w.service.receipt(id, { username: 'north-desk', scope: 'north' });
    expect(events('notice:receipt')).toEqual([
      expect.objectContaining({
        node: 'city',
        payload: expect.objectContaining({ node: 'north', receiptSeconds: 120 }),
      }),
    ]);

    // 4 min 59 s: nobody is reminded yet.
    w.clock.now = T0 + 5 * MIN - 1000;
    await w.maintainer().check();
    expect(events('notice:reminder')).toEqual([]);

    w.clock.now = T0 + 5 * MIN;
    await w.maintainer().check();
    expect(
      events('notice:reminder')
        .map((e) => e.node)
        .sort(),
    ).toEqual(['north-grid-1', 'south']);
    // Checked again: one reminder each, not one a check.
    await w.maintainer().check();
    expect(events('notice:reminder')).toHaveLength(2);

    w.clock.now = T0 + 12 * MIN;
    await w.service.receipt(id, { username: 'south-desk', scope: 'south' });

    w.clock.now = T0 + 30 * MIN;
    await w.maintainer().check();
    expect(events('notice:silent')).toEqual([
      {
        node: 'city',
        event: 'notice:silent',
        payload: expect.objectContaining({ notice: id, node: 'north-grid-1', name: '北城一网格' }),
      },
    ]);
    expect((await w.store.silent()).map((s) => s.node)).toEqual(['north-grid-1']);

    const n = (await w.service.get(id))!;
    expect(
      n.targets.map((t) => [
        t.node,
        t.receivedMs === null ? null : (t.receivedMs - T0) / MIN,
        t.remindedMs !== null,
        t.listedMs !== null,
      ]),
    ).toEqual([
      ['north', 2, false, false],
      ['north-grid-1', null, true, true],
      ['south', 12, true, false],
    ]);

    // A late receipt takes the node off the list; its time is kept.
    w.clock.now = T0 + 41 * MIN;
    await w.service.receipt(id, { username: 'grid-desk', scope: 'north-grid-1' });
    expect(await w.store.silent()).toEqual([]);
  });

  it('a restart during the wait reminds and lists from stored times (a late check does both at once)', async () => {
    const id = await w.service.send(centre, {
      to: ['south'],
      text: '请核对辖区重点单位名单',
      receiptMinutes: 10,
    });
    await db.close();
    // Down from 9:01 to 9:45; the new process knows nothing but the file.
    w = world(join(dir, 'sharpeyes.db'));
    w.clock.now = T0 + 45 * MIN;
    await w.maintainer().check();
    expect(events('notice:reminder').map((e) => e.payload['notice'])).toEqual([id]);
    expect(events('notice:silent').map((e) => e.payload['node'])).toEqual(['south']);
  });

  it('a notice may set its own receipt time; the silent are never listed before they were reminded', async () => {
    const id = await w.service.send(centre, { to: ['south'], text: '紧急', receiptMinutes: 45 });
    const n = (await w.service.get(id))!;
    expect([n.receiptMinutes, n.listMinutes]).toEqual([45, 45]);
    w.clock.now = T0 + 30 * MIN;
    await w.maintainer().check();
    expect(w.sent.filter((s) => s.event !== 'notice:new')).toEqual([]);
  });

  it.each([
    [{ username: 'south-desk', scope: 'south' }, ['north'], 'a node outside the sender’s jurisdiction'],
    [centre, ['nowhere'], 'a node that does not exist'],
  ])('refuses %j sending to %j (%s) and stores nothing', async (sender, to) => {
    await expect(w.service.send(sender, { to, text: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(await w.store.due(T0 + 1e9)).toEqual([]);
  });

  it('a station’s notice: its receipt is heard by the station and by every node above it, not beside it', async () => {
    const id = await w.service.send(
      { username: 'north-sup', scope: 'north' },
      { to: ['north-grid-1'], text: '网格巡查' },
    );
    w.clock.now = T0 + 95_000;
    await w.service.receipt(id, { username: 'grid-desk', scope: 'north-grid-1' });
    expect(
      events('notice:receipt').map((e) => [e.node, e.payload['node'], e.payload['receiptSeconds']]),
    ).toEqual([
      ['north', 'north-grid-1', 95],
      ['city', 'north-grid-1', 95],
    ]);
  });

  it('a receipt from a desk the notice was not sent to is refused', async () => {
    const id = await w.service.send(centre, { to: ['south'], text: 'x' });
    await expect(w.service.receipt(id, { username: 'n', scope: 'north' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('a plate notice watches the plate for its validity, and again after a restart', async () => {
    await w.service.send(centre, { to: ['north'], text: '协查车辆', plate: '豫A12345', plateHours: 24 });
    expect(w.watchlist.match('豫A·12345')).toMatchObject({ note: '协查车辆' });
    const reloaded = new NoticeWatchlist(() => w.clock.now);
    for (const p of await w.store.activePlates(w.clock.now))
      reloaded.add(p.plate, p.untilMs, p.notice, p.text);
    expect(reloaded.match('豫A12345')).toBeDefined();
    w.clock.now = T0 + 24 * 60 * MIN;
    expect(w.watchlist.match('豫A12345')).toBeUndefined();
    expect(await w.store.activePlates(w.clock.now)).toEqual([]);
  });
});
