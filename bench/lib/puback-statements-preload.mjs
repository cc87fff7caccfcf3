/**
 * Loaded into the service with `--import` by `bench/panic-cpu.ts --statements` (never by the service
 * itself). For each QoS 1 PUBLISH a socket reads, it lists the better-sqlite3 statements the alarm
 * thread ran until it next wrote a PUBACK, with each one's time, and the whole read → PUBACK time.
 *
 * JSON lines, flushed each second to `BENCH_STATEMENTS_FILE`: `{ "ms": <read → PUBACK>, "q": [[<SQL>,
 * <ms>], …] }`. Plain JavaScript: the service's worker threads load it too, before tsx could compile it
 * for them; only the alarm thread is measured. It costs the service a byte test per chunk a socket
 * reads or writes, and two clock reads per statement.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_STATEMENTS_FILE;
if (file && isMainThread) {
  /** The panic being handled: when its PUBLISH was read, and its statements so far. */
  let current;
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join(''));
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);

  const Database = createRequire(import.meta.url)('better-sqlite3');
  const probe = new Database(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  for (const method of ['run', 'get', 'all', 'iterate']) {
    const inner = Statement[method];
    Statement[method] = function (...args) {
      const t = performance.now();
      try {
        return inner.apply(this, args);
      } finally {
        current?.q.push([this.source.replace(/\s+/g, ' '), performance.now() - t]);
      }
    };
  }

  // MQTT fixed header: PUBLISH is type 3; QoS 1 sets bit 1 (DUP and RETAIN may vary). PUBACK is 0x40.
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (...args) {
    const b = args[1];
    if (args[0] === 'data' && Buffer.isBuffer(b) && b.length > 0 && (b[0] & 0xf6) === 0x32) {
      current = { at: performance.now(), q: [] };
    }
    return emit.apply(this, args);
  };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (...args) {
    const c = args[0];
    if (current && Buffer.isBuffer(c) && c.length > 0 && c[0] === 0x40) {
      lines.push(`${JSON.stringify({ ms: performance.now() - current.at, q: current.q })}\n`);
      current = undefined;
    }
    return write.apply(this, args);
  };
}
