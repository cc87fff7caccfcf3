/**
 * What the preloads that watch the service's alarm thread share (`puback-split-preload.mjs` for
 * `panic-recording --split`, `puback-statements-preload.mjs` for `panic-cpu --statements`): lines
 * flushed to a file, each better-sqlite3 statement timed, and each panic's read and PUBACK seen on its
 * socket. Plain JavaScript, as the preloads are; importing it changes nothing until a hook is called.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';

/** Epoch milliseconds (`performance.timeOrigin` + `now()`), the clock the benches use too. */
export const now = () => performance.timeOrigin + performance.now();

/** Returns `push(line)`: lines appended to `file` once a second and at exit. */
export function lineWriter(file) {
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join(''));
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
  return (line) => lines.push(line);
}

/**
 * Calls `after(sql, ms)` after each better-sqlite3 statement the thread runs (`run`, `get`, `all`):
 * the same module instance as the service's, since CommonJS is cached by path.
 */
export function onStatements(after) {
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
        after(this.source, performance.now() - t);
      }
    };
  }
}

// MQTT fixed header: PUBLISH is type 3; QoS 1 sets bit 1 (DUP, bit 3, and RETAIN, bit 0, may vary).
const isQos1Publish = (b) => Buffer.isBuffer(b) && b.length > 0 && (b[0] & 0xf6) === 0x32;
const isPuback = (b) => Buffer.isBuffer(b) && b.length > 0 && b[0] === 0x40;

/**
 * Calls `read(socket)` when the event loop hands a socket's QoS 1 PUBLISH to its readers, and
 * `acked(socket)` when a PUBACK is written to a socket. Costs a byte test per chunk any socket reads or
 * writes (the cameras' pipes included).
 */
export function onPanics({ read, acked }) {
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (...args) {
    if (args[0] === 'data' && isQos1Publish(args[1])) read(this);
    return emit.apply(this, args);
  };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (...args) {
    if (isPuback(args[0])) acked(this);
    return write.apply(this, args);
  };
}
