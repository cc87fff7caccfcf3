import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Outbox, type OutboxRow } from '../../src/outbox/outbox.js';
import { OutboxDispatcher, type OutboxSink, type SinkStatus } from '../../src/outbox/outbox-dispatcher.js';
import { SqliteStore } from '../../src/store/sqlite.js';

/** A durable sink that records the sequence numbers it was handed. */
function recorder(name: string, opts: { failFirst?: number } = {}): OutboxSink & { seen: number[] } {
  let failures = opts.failFirst ?? 0;
  const seen: number[] = [];
  return {
    name,
    durable: true,
    batch: 8,
    seen,
    handle(rows: readonly OutboxRow[]) {
      if (failures > 0) {
        failures--;
        throw new Error(`${name} down`);
      }
      seen.push(...rows.map((r) => r.seq));
    },
  };
}

/** Rows written so far on the store's connection (a cursor save writes one row per sink). */
function rowsWritten(store: SqliteStore): () => number {
  const db = store.db;
  return () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
}

describe('outbox dispatcher', () => {
  let dir: string;
  let store: SqliteStore;
  let outbox: Outbox;
  const dispatchers: OutboxDispatcher[] = [];

  const dispatcher = (cursorMs?: number, pollMs = 50) => {
    const d = new OutboxDispatcher({
      outbox,
      log: silentLogger,
      metrics: new Metrics({ defaults: false }),
      pollMs,
      ...(cursorMs !== undefined ? { cursorMs } : {}),
    });
    dispatchers.push(d);
    return d;
  };
  const publish = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => outbox.publish([{ topic: 'event:stored', payload: { i } }])),
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-outbox-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    outbox = new Outbox(store.k);
  });

  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands every row once in order, and does not write its cursor after every batch', async () => {
    const d = dispatcher(10_000);
    const a = recorder('a');
    const b = recorder('b');
    await d.add(a);
    await d.add(b);
    d.start();
    const before = (await outbox.cursor('a')) ?? -1;
    const count = rowsWritten(store);
    await publish(200);
    const published = count();
    // Wait for the sinks without idle() (which stores the cursors): 25 batches of 8 each.
    await expect.poll(() => a.seen.length + b.seen.length, { timeout: 10_000 }).toBe(400);
    expect(a.seen).toEqual(Array.from({ length: 200 }, (_, i) => before + 1 + i));
    expect(b.seen).toEqual(a.seen);
    // 50 batches handled; within the 10 s save interval none of them wrote its cursor.
    expect(count() - published).toBe(0);
    expect(await outbox.cursor('a')).toBe(before);
    // idle() and stop() store where each sink got to.
    await d.idle();
    expect(await outbox.cursor('a')).toBe(before + 200);
    expect(await outbox.cursor('b')).toBe(before + 200);
    expect(count() - published).toBe(2);
  });

  it('stores cursors on its interval, and a restart resumes from them', async () => {
    const d = dispatcher(20);
    const a = recorder('a');
    await d.add(a);
    d.start();
    await publish(30);
    const tail = await outbox.tail();
    await expect.poll(() => outbox.cursor('a'), { timeout: 5000 }).toBe(tail);
    await d.stop();

    await publish(5);
    const again = recorder('a');
    const d2 = dispatcher(20);
    await d2.add(again);
    d2.start();
    await d2.idle();
    expect(again.seen).toEqual([tail + 1, tail + 2, tail + 3, tail + 4, tail + 5]);
  });

  it('a failing sink is retried from the same rows and holds up neither the other sinks nor its own cursor', async () => {
    const d = dispatcher(20);
    const bad = recorder('bad', { failFirst: 2 });
    const good = recorder('good');
    await d.add(bad);
    await d.add(good);
    d.start();
    const from = await outbox.tail();
    await publish(10);
    await expect.poll(() => good.seen.length, { timeout: 5000 }).toBe(10);
    await expect.poll(() => bad.seen.length, { timeout: 10_000 }).toBe(10);
    expect(bad.seen).toEqual(good.seen);
    expect(bad.seen[0]).toBe(from + 1);
    await d.idle();
    expect(await outbox.cursor('bad')).toBe(from + 10);
  });

  it('sinks woken by the same commit share one read of the outbox', async () => {
    const d = dispatcher(20, 60_000); // no poll: every read here is a commit's
    const sinks = ['a', 'b', 'c', 'd', 'e'].map((n) => recorder(n));
    for (const r of sinks) await d.add(r);
    d.start();
    await d.idle();
    let reads = 0;
    const read = outbox.read.bind(outbox);
    outbox.read = (after, limit) => {
      reads++;
      return read(after, limit);
    };
    const from = await outbox.tail();
    for (let i = 0; i < 20; i++) {
      await outbox.publish([{ topic: 'event:stored', payload: { i } }]);
      await expect.poll(() => sinks.every((r) => r.seen.at(-1) === from + i + 1)).toBe(true);
    }
    for (const r of sinks)
      expect(r.seen.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => from + 1 + i));
    // Five sinks, twenty commits: one read per commit, not one per sink.
    expect(reads).toBe(20);
  });

  it('no sink is read among the promise jobs after a commit (the PUBACK’s); the urgent ones first on the next turn', async () => {
    const d = dispatcher(20);
    const later = recorder('later');
    const urgent = { ...recorder('urgent'), urgent: true };
    const urgent2 = { ...recorder('urgent2'), urgent: true };
    // Added before the urgent ones: order of adding does not put it first.
    await d.add(later);
    await d.add(urgent);
    await d.add(urgent2);
    d.start();
    await d.idle();
    const seq = await outbox.tail();
    await outbox.publish([{ topic: 'event:stored', payload: {} }]);
    // Every promise job the wake started has run (a tick queued now runs after them), and no macrotask.
    await new Promise((r) => process.nextTick(r));
    expect(urgent.seen.at(-1)).not.toBe(seq + 1);
    expect(later.seen.at(-1)).not.toBe(seq + 1);
    // The dispatcher's immediate was queued first: both urgent sinks have read, the other not yet.
    await new Promise((r) => setImmediate(r));
    expect(urgent.seen.at(-1)).toBe(seq + 1);
    expect(urgent2.seen.at(-1)).toBe(seq + 1);
    expect(later.seen.at(-1)).not.toBe(seq + 1);
    await expect.poll(() => later.seen.at(-1)).toBe(seq + 1);
  });

  it('exports how long each sink took per batch', async () => {
    const metrics = new Metrics({ defaults: false });
    const d = new OutboxDispatcher({ outbox, log: silentLogger, metrics, pollMs: 20 });
    dispatchers.push(d);
    let batches = 0;
    const slow: OutboxSink = {
      name: 'slow',
      durable: false,
      handle() {
        batches++;
        // Synchronous work, as a SQLite sink's batch is: nothing else runs meanwhile.
        const until = performance.now() + 12;
        while (performance.now() < until);
      },
    };
    await d.add(slow);
    d.start();
    await publish(1);
    await d.idle();
    const text = await metrics.registry.metrics();
    const value = (series: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`sharpeyes_outbox_sink_batch_seconds_${series} `))
          ?.split(' ')[1],
      );
    expect(batches).toBeGreaterThan(0);
    expect(value('count{sink="slow"}')).toBe(batches);
    expect(value('sum{sink="slow"}')).toBeGreaterThanOrEqual(0.012 * batches);
    expect(value('bucket{le="0.01",sink="slow"}')).toBe(0);
  });

  it('after a quiet spell the urgent sinks go first again, whatever the last turn kicked', async () => {
    const d = dispatcher(20, 60_000);
    const urgent = { ...recorder('urgent'), urgent: true };
    await d.add(urgent);
    d.start();
    await d.idle();
    // The last turn of this commit kicks the urgent sink alone (no other sink yet).
    await publish(1);
    await new Promise((r) => setImmediate(r));
    await d.add(recorder('later'));
    await d.idle();
    await publish(1);
    const seq = await outbox.tail();
    await new Promise((r) => setImmediate(r));
    expect(urgent.seen.at(-1)).toBe(seq);
  });

  it('a commit every turn (a flood) starves neither the urgent sinks nor the others', async () => {
    const d = dispatcher(20, 60_000);
    const urgent = { ...recorder('urgent'), urgent: true };
    const a = recorder('a');
    const b = recorder('b');
    await d.add(urgent);
    await d.add(a);
    await d.add(b);
    d.start();
    await d.idle();
    const first = await outbox.tail();
    for (let i = 0; i < 30; i++) {
      await outbox.publish([{ topic: 'event:stored', payload: {} }]);
      await new Promise((r) => setImmediate(r));
    }
    // Still flooding: every sink has moved past the first row, not only the urgent one.
    for (const s of [urgent, a, b]) expect(s.seen.some((seq) => seq > first)).toBe(true);
  });

  it('the sinks a commit wakes take a turn each, so a socket is read between them (a panic arriving)', async () => {
    const d = dispatcher(20, 60_000);
    const order: string[] = [];
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const accepted = await new Promise<Socket>((r) => server.once('connection', r));
    await new Promise((r) => client.once('connect', r));
    accepted.on('data', () => order.push('socket'));
    const sink = (name: string, first?: boolean): OutboxSink => ({
      name,
      durable: false,
      handle: () => {
        order.push(name);
        // What arrives while the first sink works: in the kernel now, read at the loop's next poll.
        if (first) client.write('panic');
      },
    });
    try {
      await d.add(sink('a', true));
      await d.add(sink('b'));
      await d.add(sink('c'));
      d.start();
      await d.idle();
      order.length = 0;
      await outbox.publish([{ topic: 'event:stored', payload: {} }]);
      await expect.poll(() => order.length).toBe(4);
      // Kicked in one turn, b and c ran before the loop read the socket (a, b, c, socket).
      expect(order).toEqual(['a', 'socket', 'b', 'c']);
    } finally {
      client.destroy();
      accepted.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('a sink with a pause takes what was committed meanwhile as one batch', async () => {
    const d = dispatcher(20);
    const batches: number[][] = [];
    await d.add({
      name: 'paced',
      durable: true,
      pauseMs: 400,
      handle: (rows) => {
        batches.push(rows.map((r) => r.seq));
      },
    });
    d.start();
    await d.idle();
    batches.length = 0;
    const from = await outbox.tail();
    await outbox.publish([{ topic: 'event:stored', payload: { i: 0 } }]);
    await expect.poll(() => batches.length).toBe(1);
    for (let i = 1; i <= 5; i++) await outbox.publish([{ topic: 'event:stored', payload: { i } }]);
    await expect.poll(() => batches.length, { timeout: 5000 }).toBe(2);
    expect(batches).toEqual([[from + 1], [from + 2, from + 3, from + 4, from + 5, from + 6]]);
  });

  it('a paced sink hurried (someone waits for it) reads at once, also when hurried mid-batch', async () => {
    const d = dispatcher(10);
    const batches: number[][] = [];
    let hold: Promise<void> | undefined;
    await d.add({
      name: 'paced',
      durable: true,
      pauseMs: 60_000,
      handle: async (rows) => {
        batches.push(rows.map((r) => r.seq));
        await hold;
      },
    });
    d.start();
    await d.idle();
    const from = await outbox.tail();
    await outbox.publish([{ topic: 'event:stored', payload: { i: 0 } }]);
    await expect.poll(() => batches.length).toBe(1);
    // Resting for a minute: a row now waits for the rest, unless someone hurries the sink.
    await outbox.publish([{ topic: 'event:stored', payload: { i: 1 } }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(batches).toEqual([[from + 1]]);
    d.hurry('paced');
    await expect.poll(() => batches.length, { timeout: 2000 }).toBe(2);
    expect(batches[1]).toEqual([from + 2]);

    // Hurried while a batch is in hand: the next batch follows it without the rest.
    let release!: () => void;
    hold = new Promise((r) => {
      release = r;
    });
    d.hurry('paced');
    await outbox.publish([{ topic: 'event:stored', payload: { i: 2 } }]);
    await expect.poll(() => batches.length, { timeout: 2000 }).toBe(3);
    await outbox.publish([{ topic: 'event:stored', payload: { i: 3 } }]);
    d.hurry('paced');
    hold = undefined;
    release();
    await expect.poll(() => batches.length, { timeout: 2000 }).toBe(4);
    expect(batches.slice(2)).toEqual([[from + 3], [from + 4]]);
    d.hurry('no-such-sink'); // nothing to hurry: nothing happens
  });

  it('a sink that stores its own cursor does not have it stored again', async () => {
    const d = dispatcher(10);
    const seen: number[] = [];
    const sink: OutboxSink = {
      name: 'self',
      durable: true,
      storesCursor: true,
      async handle(rows) {
        seen.push(...rows.map((r) => r.seq));
        await outbox.saveCursor('self', rows.at(-1)!.seq);
      },
    };
    await d.add(sink);
    d.start();
    await d.idle();
    const count = rowsWritten(store);
    await publish(3);
    const published = count();
    await d.idle();
    await new Promise((r) => setTimeout(r, 50)); // past cursorMs
    // The sink's own saves only (one per batch), none by the dispatcher.
    expect(count() - published).toBeLessThanOrEqual(3);
    expect(await outbox.cursor('self')).toBe(seen.at(-1));
  });

  it('an exclusive sink re-reads its shared cursor in a cluster, never when its node is alone', async () => {
    for (const solo of [true, false]) {
      const d = new OutboxDispatcher({
        outbox,
        log: silentLogger,
        metrics: new Metrics({ defaults: false }),
        pollMs: 50,
        cluster: { solo, holds: () => true, run: (_name, job) => job.start() },
      });
      dispatchers.push(d);
      await d.add({ ...recorder(`x-${solo}`), exclusive: true });
      d.start();
      await d.idle();
      let cursorReads = 0;
      const cursor = outbox.cursor.bind(outbox);
      outbox.cursor = (sink) => {
        cursorReads++;
        return cursor(sink);
      };
      for (let i = 0; i < 5; i++) {
        await outbox.publish([{ topic: 'event:stored', payload: { i } }]);
        await d.idle();
      }
      outbox.cursor = cursor;
      if (solo) expect(cursorReads).toBe(0);
      else expect(cursorReads).toBeGreaterThanOrEqual(5);
      await d.stop();
    }
  });
});

describe('outbox dispatcher: how each sink keeps up (status, sharpeyes_outbox_lag_rows)', () => {
  let dir: string;
  let store: SqliteStore;
  let outbox: Outbox;
  let d: OutboxDispatcher | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-outbox-status-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    outbox = new Outbox(store.k);
  });

  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lagOf = (text: string, sink: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`sharpeyes_outbox_lag_rows{sink="${sink}"} `))
        ?.split(' ')[1],
    );

  it('a failing sink shows how many rows and how long it is behind, and since when it fails; caught up, nothing', async () => {
    const metrics = new Metrics({ defaults: false });
    d = new OutboxDispatcher({ outbox, log: silentLogger, metrics, pollMs: 20, cursorMs: 20 });
    // A webhook receiver that is down until told otherwise.
    let down = true;
    const seen: number[] = [];
    const webhook: OutboxSink = {
      name: 'webhook',
      durable: true,
      handle(rows) {
        if (down) throw new Error('connect ECONNREFUSED 10.0.0.5:443');
        seen.push(...rows.map((r) => r.seq));
      },
    };
    const socket = recorder('socket');
    await d.add(webhook);
    await d.add(socket);
    d.start();
    const from = await outbox.tail();
    const before = Date.now();
    for (let i = 0; i < 12; i++) await outbox.publish([{ topic: 'event:stored', payload: { i } }]);
    await expect.poll(() => socket.seen.length, { timeout: 5000 }).toBe(12);
    await expect
      .poll(async () => (await d!.status()).webhook?.failures ?? 0, { timeout: 5000 })
      .toBeGreaterThan(0);

    // Ten seconds later, as a duty engineer's health check would see it.
    const later = (await d.status(Date.now() + 10_000)) as Record<string, SinkStatus>;
    expect(later.webhook).toMatchObject({ position: from, behind: 12 });
    expect(later.webhook!.behindSeconds).toBeGreaterThanOrEqual(10);
    expect(later.webhook!.behindSeconds).toBeLessThan(10 + (Date.now() - before) / 1000 + 1);
    expect(Date.parse(later.webhook!.failingSince!)).toBeGreaterThanOrEqual(before - 1);
    expect(later.socket).toEqual({ position: from + 12, behind: 0, behindSeconds: 0, failures: 0 });
    // The error stays in the log: health answers anyone.
    expect(JSON.stringify(later)).not.toContain('10.0.0.5');
    const text = await metrics.registry.metrics();
    expect(lagOf(text, 'webhook')).toBe(12);
    expect(lagOf(text, 'socket')).toBe(0);

    down = false;
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(12);
    await d.idle();
    expect((await d.status()).webhook).toEqual({
      position: from + 12,
      behind: 0,
      behindSeconds: 0,
      failures: 0,
    });
    expect(lagOf(await metrics.registry.metrics(), 'webhook')).toBe(0);
  });

  it('lists only the sinks running on this node: an exclusive one another node holds runs there', async () => {
    const metrics = new Metrics({ defaults: false });
    d = new OutboxDispatcher({
      outbox,
      log: silentLogger,
      metrics,
      pollMs: 20,
      cluster: { holds: (lease) => lease !== 'outbox:audit', run: () => undefined },
    });
    await d.add({ ...recorder('audit'), exclusive: true });
    await d.add(recorder('bus'));
    d.start();
    await outbox.publish([{ topic: 'event:stored', payload: {} }]);
    await d.idle();
    expect(Object.keys(await d.status())).toEqual(['bus']);
    const text = await metrics.registry.metrics();
    expect(lagOf(text, 'bus')).toBe(0);
    expect(text).not.toContain('sharpeyes_outbox_lag_rows{sink="audit"}');
  });
});
