import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxRow } from '../../src/outbox/outbox.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';

afterAll(() => stopSharedPostgres());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 16: on PostgreSQL several nodes append to one outbox at once, and every sink reads it by
 * `seq > cursor`. A sequence number is taken at INSERT, the row becomes visible at COMMIT: if a
 * transaction that took a lower number committed after one that took a higher number, a sink reading
 * in between would move its cursor past the lower row and never see it. `Outbox.append` makes the
 * writers take turns from their append to their commit (a transaction-scoped advisory lock).
 */
describe('outbox on PostgreSQL: sequence order is commit order', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('a sink reading while an earlier append is still uncommitted does not pass it', async () => {
    store = await openPostgresStore(await freshPostgresDatabase(), { poolSize: 4 });
    const outbox = new Outbox(store.k, undefined, 'postgres');
    const k = store.k;
    const row = (id: string) => ({ topic: 'incident:new' as const, incidentId: id, payload: {} });

    // A appends first (so its number would be the lower one) and commits last.
    let appendedA!: () => void;
    const aIn = new Promise<void>((r) => {
      appendedA = r;
    });
    let commitA!: () => void;
    const aMayCommit = new Promise<void>((r) => {
      commitA = r;
    });
    const a = k.transaction().execute(async (tx) => {
      await outbox.append(tx, [row('A')]);
      appendedA();
      await aMayCommit;
    });
    await aIn;
    // B appends and commits while A is open; a sink reads meanwhile and moves its cursor.
    const b = k.transaction().execute((tx) => outbox.append(tx, [row('B')]));
    const bCommitted = await Promise.race([b.then(() => true), sleep(500).then(() => false)]);
    const first = await outbox.read(0, 10);
    const cursor = first.at(-1)?.seq ?? 0;
    commitA();
    await Promise.all([a, b]);
    const rest = await outbox.read(cursor, 10);

    const seen = (rows: readonly OutboxRow[]) => rows.map((r) => r.incidentId);
    // B waited for A's commit (it could not take a number while A held the turn)...
    expect(bCommitted).toBe(false);
    expect(seen(first)).toEqual([]);
    // ...so the sink, going on from its cursor, gets both, in commit order.
    expect([...seen(first), ...seen(rest)]).toEqual(['A', 'B']);
    expect(rest.map((r) => r.seq)).toEqual([...rest.map((r) => r.seq)].sort((x, y) => x - y));
  });

  it('appends of many concurrent transactions reach a polling sink, each row once', async () => {
    store = await openPostgresStore(await freshPostgresDatabase(), { poolSize: 8 });
    const outbox = new Outbox(store.k, undefined, 'postgres');
    const k = store.k;
    const got: string[] = [];
    let cursor = 0;
    let writing = true;
    const sink = (async () => {
      // Reads as the dispatcher does, as fast as it can, while the writers race each other.
      while (writing || got.length < 200) {
        // Only a read that began after the last commit may end the loop: one begun before it can
        // miss the last row and return nothing just as the writers finish.
        const afterLastCommit = !writing;
        const rows = await outbox.read(cursor, 50);
        for (const r of rows) got.push(r.incidentId!);
        if (rows.length > 0) cursor = rows.at(-1)!.seq;
        else if (afterLastCommit) break;
      }
    })();
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 25; i++)
            await k.transaction().execute(async (tx) => {
              await outbox.append(tx, [{ topic: 'incident:new', incidentId: `w${w}-${i}`, payload: {} }]);
              // Work after the append, before the commit (the decision's other statements).
              if (i % 3 === 0) await sleep(2);
            });
        })(),
      ),
    );
    writing = false;
    await sink;
    expect(got).toHaveLength(200);
    expect(new Set(got).size).toBe(200);
  });
});
