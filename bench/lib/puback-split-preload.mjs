/**
 * Loaded into the service with `--import` by `bench/panic-recording.ts --split` (never by the service
 * itself). For each QoS 1 PUBLISH a socket reads, it notes when the event loop handed the bytes to the
 * socket's readers and when a PUBACK was next written to that socket; and it notes every garbage
 * collection. Epoch milliseconds (`performance.timeOrigin` + `now()`), the clock the bench uses too.
 *
 * Between the read and the PUBACK it also sums the time the thread spent in better-sqlite3's
 * statements (the same module instance as the service's: CommonJS is cached by path), and apart from
 * them the `COMMIT`s, whose `synchronous=FULL` fsync is inside.
 *
 * Lines, flushed each second to `BENCH_SPLIT_FILE`: `p <read at> <PUBACK written at> <ms in SQLite>
 * <ms in COMMIT>` and `g <start> <duration> <kind>`. It costs the service a byte test per chunk a
 * socket reads or writes (the cameras' pipes included), and two clock reads and a match of its text
 * per SQLite statement. Plain JavaScript: the service's worker threads load it too, before tsx could
 * compile it for them.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_SPLIT_FILE;
// The service's worker threads inherit the preload; only its alarm thread is measured.
if (file && isMainThread) {
  const now = () => performance.timeOrigin + performance.now();
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join(''));
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);

  // MQTT fixed header: PUBLISH is type 3; QoS 1 sets bit 1 (DUP, bit 3, and RETAIN, bit 0, may vary).
  const isQos1Publish = (b) => Buffer.isBuffer(b) && b.length > 0 && (b[0] & 0xf6) === 0x32;
  const isPuback = (b) => Buffer.isBuffer(b) && b.length > 0 && b[0] === 0x40;
  const readAt = new WeakMap();
  /** SQLite time since the last PUBLISH was read: [ms in statements, ms in COMMIT]. */
  let sqlite = [0, 0];

  const Database = createRequire(import.meta.url)('better-sqlite3');
  const probe = new Database(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const method of ['run', 'get', 'all']) {
    const inner = Statement[method];
    Statement[method] = function (...args) {
      const t = performance.now();
      try {
        return inner.apply(this, args);
      } finally {
        const ms = performance.now() - t;
        sqlite[0] += ms;
        if (/^\s*commit/i.test(this.source)) sqlite[1] += ms;
      }
    };
  }

  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (...args) {
    if (args[0] === 'data' && isQos1Publish(args[1])) {
      readAt.set(this, now());
      sqlite = [0, 0];
    }
    return emit.apply(this, args);
  };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (...args) {
    const chunk = args[0];
    if (isPuback(chunk)) {
      const at = readAt.get(this);
      if (at !== undefined) {
        const [inSql, inCommit] = sqlite;
        lines.push(`p ${at.toFixed(3)} ${now().toFixed(3)} ${inSql.toFixed(3)} ${inCommit.toFixed(3)}\n`);
        readAt.delete(this);
      }
    }
    return write.apply(this, args);
  };

  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      lines.push(
        `g ${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${e.detail?.kind ?? 0}\n`,
      );
  }).observe({ entryTypes: ['gc'] });
}
