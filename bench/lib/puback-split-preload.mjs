/**
 * Loaded into the service with `--import` by `bench/panic-recording.ts --split` (never by the service
 * itself). For each QoS 1 PUBLISH a socket reads, it notes when the event loop handed the bytes to the
 * socket's readers and when a PUBACK was next written to that socket; and it notes every garbage
 * collection. Epoch milliseconds (`performance.timeOrigin` + `now()`), the clock the bench uses too.
 *
 * Between the read and the PUBACK it also sums the time the thread spent in better-sqlite3's
 * statements, and apart from them the `COMMIT`s, whose `synchronous=FULL` fsync is inside.
 *
 * Lines, flushed each second to `BENCH_SPLIT_FILE`: `p <read at> <PUBACK written at> <ms in SQLite>
 * <ms in COMMIT>` and `g <start> <duration> <kind>`. It costs the service a byte test per chunk a
 * socket reads or writes (the cameras' pipes included), and two clock reads and a match of its text
 * per SQLite statement. Plain JavaScript: the service's worker threads load it too, before tsx could
 * compile it for them.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { lineWriter, now, onPanics, onStatements } from './alarm-thread-probe.mjs';

const file = process.env.BENCH_SPLIT_FILE;
// The service's worker threads inherit the preload; only its alarm thread is measured.
if (file && isMainThread) {
  const push = lineWriter(file);
  const readAt = new WeakMap();
  /** SQLite time since the last PUBLISH was read: [ms in statements, ms in COMMIT]. */
  let sqlite = [0, 0];

  onStatements((sql, ms) => {
    sqlite[0] += ms;
    if (/^\s*commit/i.test(sql)) sqlite[1] += ms;
  });
  onPanics({
    read(socket) {
      readAt.set(socket, now());
      sqlite = [0, 0];
    },
    acked(socket) {
      const at = readAt.get(socket);
      if (at === undefined) return;
      const [inSql, inCommit] = sqlite;
      push(`p ${at.toFixed(3)} ${now().toFixed(3)} ${inSql.toFixed(3)} ${inCommit.toFixed(3)}\n`);
      readAt.delete(socket);
    },
  });

  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      push(
        `g ${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${e.detail?.kind ?? 0}\n`,
      );
  }).observe({ entryTypes: ['gc'] });
}
