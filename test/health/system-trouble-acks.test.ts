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
    expect(b).toEqual({ ack: a.ack, first: false });
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

  it('purge: acknowledgements of troubles that began before the cut are forgotten, of any node, except this node’s standing ones', async () => {
    const old = '2026-10-01T05:00:00.000Z';
    await acks.ack('node-a', 'sink:webhooks', old, li, '2026-10-01T05:01:00.000Z'); // standing here
    await acks.ack('node-a', 'database:', old, li, '2026-10-01T05:02:00.000Z');
    await acks.ack('node-b', 'sink:webhooks', old, wang, '2026-10-01T05:03:00.000Z'); // a node gone
    await acks.ack('node-a', 'wait:', since, wang, '2026-12-06T05:04:00.000Z'); // recent
    await acks.ack('*', 'cameras:', old, li, '2026-10-01T05:05:00.000Z'); // the city's, standing here
    const purged = await acks.purge('2026-11-05T00:00:00.000Z', [
      { node: 'node-a', key: 'sink:webhooks', since: old },
      { node: 'node-a', key: 'storage:', since: old }, // none stored: nothing to keep
      { node: '*', key: 'cameras:', since: old },
    ]);
    expect(purged).toBe(2);
    expect((await acks.of('*', [{ key: 'cameras:', since: old }])).size).toBe(1);
    expect([...(await acks.of('node-a', [{ key: 'sink:webhooks', since: old }])).keys()]).toEqual([
      'sink:webhooks',
    ]);
    expect((await acks.of('node-a', [{ key: 'database:', since: old }])).size).toBe(0);
    expect((await acks.of('node-b', [{ key: 'sink:webhooks', since: old }])).size).toBe(0);
    expect((await acks.of('node-a', [{ key: 'wait:', since }])).size).toBe(1);
  });
});
