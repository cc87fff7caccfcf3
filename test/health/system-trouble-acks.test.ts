import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TroubleAcks, troubleKey } from '../../src/health/system-trouble-acks.js';
import { stopSharedPostgres, storeBackends } from '../helpers/postgres.js';

const BACKENDS = storeBackends('acks');
afterAll(() => stopSharedPostgres(), 60_000);

describe.each(BACKENDS)('system_trouble_acks on %s', (_name, open) => {
  let db: Awaited<ReturnType<typeof open>>;
  let acks: TroubleAcks;
  beforeEach(async () => {
    db = await open();
    acks = new TroubleAcks(db.store.k);
  }, 60_000);
  afterEach(async () => db?.cleanup());

  const since = '2026-12-06T05:00:00.000Z';
  const li = { username: 'sup-li', displayName: '李值班长' };
  const wang = { username: 'sup-wang', displayName: null };

  it('the first acknowledgement stands; a second is told whose it is', async () => {
    const key = troubleKey({ kind: 'sink', name: 'webhooks' });
    expect(key).toBe('sink:webhooks');
    const a = await acks.ack('node-a', key, since, li, '2026-12-06T05:01:00.000Z');
    expect(a).toEqual({
      ack: { by: 'sup-li', byName: '李值班长', at: '2026-12-06T05:01:00.000Z' },
      first: true,
    });
    const b = await acks.ack('node-a', key, since, wang, '2026-12-06T05:02:00.000Z');
    expect(b).toEqual({
      ack: { by: 'sup-li', byName: '李值班长', at: '2026-12-06T05:01:00.000Z' },
      first: false,
    });
  });

  it('read for a node’s troubles as they stand: the same trouble beginning again, or on another node, is not acknowledged', async () => {
    await acks.ack('node-a', 'sink:webhooks', since, li, '2026-12-06T05:01:00.000Z');
    await acks.ack('node-a', 'database:', since, wang, '2026-12-06T05:03:00.000Z');
    const got = await acks.of('node-a', [
      { key: 'sink:webhooks', since },
      { key: 'database:', since: '2026-12-06T05:30:00.000Z' }, // began again later
      { key: 'wait:', since },
    ]);
    expect([...got]).toEqual([
      ['sink:webhooks', { by: 'sup-li', byName: '李值班长', at: '2026-12-06T05:01:00.000Z' }],
    ]);
    expect((await acks.of('node-b', [{ key: 'sink:webhooks', since }])).size).toBe(0);
    expect((await acks.of('node-a', [])).size).toBe(0);
    // A user without a display name is shown by the username.
    expect((await acks.of('node-a', [{ key: 'database:', since }])).get('database:')?.byName).toBe(
      'sup-wang',
    );
  });

  /** A minute of 系统状态's history written by `node` at `at`: the node is up. */
  const minuteOf = (node: string, at: string) =>
    db.store.k
      .insertInto('system_minutes')
      .values({
        minute: Date.parse(at),
        node,
        committed: 0,
        wait_p50_ms: 0,
        wait_p99_ms: 0,
        wait_max_ms: 0,
        sinks_failing: 0,
        sinks_behind: 0,
        sinks_behind_seconds: 0,
        loop_p99_ms: 0,
        loop_max_ms: 0,
        started: 0,
      })
      .execute();

  it('purge: old acknowledgements are forgotten, except of troubles standing here, of nodes still up, and the city’s unless judged here', async () => {
    const old = '2026-10-01T05:00:00.000Z';
    const cut = '2026-11-05T00:00:00.000Z';
    const aliveSince = Date.parse('2026-12-05T05:00:00.000Z');
    await acks.ack('node-a', 'sink:webhooks', old, li, '2026-10-01T05:01:00.000Z'); // standing here
    await acks.ack('node-a', 'database:', old, li, '2026-10-01T05:02:00.000Z');
    await acks.ack('node-a', 'wait:', since, wang, '2026-12-06T05:04:00.000Z'); // recent
    await acks.ack('node-b', 'sink:webhooks', old, wang, '2026-10-01T05:03:00.000Z'); // node-b is up
    await acks.ack('node-c', 'sink:webhooks', old, wang, '2026-10-01T05:03:00.000Z'); // gone a week
    await acks.ack('node-d', 'storage:', old, wang, '2026-10-01T05:03:00.000Z'); // never wrote a minute
    await acks.ack('*', 'cameras:', old, li, '2026-10-01T05:05:00.000Z'); // the city's, standing
    await acks.ack('*', 'panels:', old, li, '2026-10-01T05:06:00.000Z'); // the city's, over
    await minuteOf('node-a', '2026-12-06T04:59:00.000Z');
    await minuteOf('node-b', '2026-12-06T04:59:00.000Z');
    await minuteOf('node-c', '2026-11-29T05:00:00.000Z');
    const standing = [
      { node: 'node-a', key: 'sink:webhooks', since: old },
      { node: 'node-a', key: 'storage:', since: old }, // none stored: nothing to keep
    ];
    const left = async () =>
      (
        await db.store.k
          .selectFrom('system_trouble_acks')
          .select(['node', 'trouble'])
          .orderBy('node')
          .orderBy('trouble')
          .execute()
      ).map((r) => `${r.node}/${r.trouble}`);

    // node-a does not judge devices lost together: the city's stay, whatever their age.
    expect(await acks.purge(cut, standing, { node: 'node-a', judging: false, aliveSince })).toBe(3);
    expect(await left()).toEqual([
      '*/cameras:',
      '*/panels:',
      'node-a/sink:webhooks',
      'node-a/wait:',
      'node-b/sink:webhooks',
    ]);
    // The judge forgets the city's that stands no more.
    expect(
      await acks.purge(cut, [...standing, { node: '*', key: 'cameras:', since: old }], {
        node: 'node-a',
        judging: true,
        aliveSince,
      }),
    ).toBe(1);
    expect(await left()).toEqual([
      '*/cameras:',
      'node-a/sink:webhooks',
      'node-a/wait:',
      'node-b/sink:webhooks',
    ]);
    expect((await acks.of('*', [{ key: 'cameras:', since: old }])).size).toBe(1);
    // node-b, up, forgets its own once they stand no more.
    expect(await acks.purge(cut, [], { node: 'node-b', judging: false, aliveSince })).toBe(1);
    expect(await left()).toEqual(['*/cameras:', 'node-a/sink:webhooks', 'node-a/wait:']);
  });

  describe('an acknowledgement purged as it is taken', () => {
    // A made-up or long-over `since`: older than the purge's horizon, standing nowhere.
    const old = '2026-01-01T00:00:00.000Z';
    const cut = '2026-11-05T00:00:00.000Z';
    const purge = () => acks.purge(cut, [], { node: 'node-a', judging: false, aliveSince: 0 });

    it('a second acknowledgement whose standing one is purged in between is told the trouble is gone, not thrown at', async () => {
      // Several rounds: which of the two reaches the store first varies.
      for (let round = 1; round <= 20; round++) {
        const key = `sink:hook-${round}`;
        await acks.ack('node-a', key, old, li, '2026-01-01T00:01:00.000Z');
        const [second] = await Promise.allSettled([
          acks.ack('node-a', key, old, wang, '2026-01-01T00:02:00.000Z'),
          purge(),
        ]);
        expect(
          second.status,
          `round ${round}: ${second.status === 'rejected' ? String(second.reason) : ''}`,
        ).toBe('fulfilled');
        if (second.status !== 'fulfilled') continue;
        // li's (read before the purge), wang's (inserted after it), or none (`gone`), never a throw.
        if (second.value.gone) expect(second.value).toEqual({ gone: true });
        else if (second.value.first) expect(second.value.ack.by).toBe('sup-wang');
        else expect(second.value.ack.by).toBe('sup-li');
      }
    });
  });
});
