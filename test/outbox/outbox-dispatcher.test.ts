import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Outbox, type OutboxRow } from '../../src/outbox/outbox.js';
import { OutboxDispatcher, type OutboxSink } from '../../src/outbox/outbox-dispatcher.js';
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

  const dispatcher = (cursorMs?: number) => {
    const d = new OutboxDispatcher({
      outbox,
      log: silentLogger,
      metrics: new Metrics({ defaults: false }),
      pollMs: 50,
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
});
