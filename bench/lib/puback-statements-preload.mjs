/**
 * Loaded into the service with `--import` by `bench/panic-cpu.ts --statements` (never by the service
 * itself). For each QoS 1 PUBLISH a socket reads, it lists the better-sqlite3 statements the alarm
 * thread ran until it next wrote a PUBACK, with each one's time, and the whole
 * read → PUBACK time.
 *
 * JSON lines, flushed each second to `BENCH_STATEMENTS_FILE`: `{ "ms": <read → PUBACK>, "q": [[<SQL>,
 * <ms>], …] }`. Plain JavaScript: the service's worker threads load it too, before tsx could compile it
 * for them; only the alarm thread is measured. It costs the service a byte test per chunk a socket
 * reads or writes, and two clock reads per statement.
 */
import { isMainThread } from 'node:worker_threads';
import { lineWriter, now, onPanics, onStatements } from './alarm-thread-probe.mjs';

const file = process.env.BENCH_STATEMENTS_FILE;
if (file && isMainThread) {
  const push = lineWriter(file);
  /** The panic being handled: when its PUBLISH was read, and its statements so far. */
  let current;

  onStatements((sql, ms) => current?.q.push([sql.replace(/\s+/g, ' '), ms]));
  onPanics({
    read() {
      current = { at: now(), q: [] };
    },
    acked() {
      if (!current) return;
      push(`${JSON.stringify({ ms: now() - current.at, q: current.q })}\n`);
      current = undefined;
    },
  });
}
