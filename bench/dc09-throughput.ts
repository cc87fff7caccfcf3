/**
 * Issue 18 benchmark: SIA DC-09 messages per second over 100 persistent TCP connections, and the
 * ACK latency (send → ACK received) p50/p99, each connection sending its next message when the last
 * is ACKed, as a panel does. Three targets in the same run, each its own process on loopback:
 *   bare     a bare Node TCP server answering a fixed ACK (bench/dc09-baseline.ts bare)
 *   receiver the DC-09 receiver with a no-op sink (bench/dc09-baseline.ts noop)
 *   service  `sharpeyes start` with 100 DC-09 panels: every message parsed, committed to SQLite (WAL,
 *            synchronous=FULL) and correlated before its ACK
 * Messages are SIA-DCS automatic tests (`#acct|NRP` → E602, stored, no incident), in clear.
 *
 *   npx tsx bench/dc09-throughput.ts [--connections 100] [--seconds 8] [--runs 3]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeFrame, FrameSplitter } from '../drivers/sia-dc09/frame.js';
import { formatTimestamp } from '../drivers/sia-dc09/timestamp.js';
import { fmt, spawnUntil, stopChild, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
  },
});
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const WARMUP_MS = 1000;

const account = (i: number) => (0x1000 + i).toString(16).toUpperCase();

function cityYaml(n: number): string {
  const grids = Array.from({ length: 10 }, (_, g) => `          - { id: g${g}, name: Grid ${g} }`).join('\n');
  const sites: string[] = [];
  const panels: string[] = [];
  for (let i = 0; i < n; i++) {
    sites.push(
      `  - { id: s${i}, name: Site ${i}, jurisdiction: g${i % 10}, kind: shop, location: { lat: 39.3, lon: 112.4 } }`,
    );
    panels.push(`  - { id: p${i}, site: s${i}, heartbeatSeconds: 3600, dc09: { account: "${account(i)}" } }`);
  }
  return `http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
dc09: { host: 127.0.0.1, port: 0 }
jurisdictions:
  - id: city
    name: City
    children:
      - id: station
        name: Station
        children:
${grids}
sites:
${sites.join('\n')}
panels:
${panels.join('\n')}
`;
}

/** One panel's persistent connection: send a frame, resolve on the next answer frame. */
class Line {
  private waiter: ((t: number) => void) | undefined;
  private constructor(private readonly socket: Socket) {
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) if ('frame' in item) this.waiter?.(performance.now());
    });
  }
  static async open(port: number): Promise<Line> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new Line(socket);
  }
  request(frame: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.waiter = (t) => {
        this.waiter = undefined;
        resolve(t);
      };
      this.socket.write(frame);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Every connection sends back to back for the warm-up plus SECONDS; counts ACKs inside the window. */
async function drive(port: number): Promise<{ rate: number; latency: number[] }> {
  const lines = await Promise.all(Array.from({ length: CONNECTIONS }, () => Line.open(port)));
  const latency: number[] = [];
  const start = performance.now();
  const from = start + WARMUP_MS;
  const until = from + SECONDS * 1000;
  await Promise.all(
    lines.map(async (line, i) => {
      const acct = account(i);
      for (let seq = 1; performance.now() < until; seq = seq >= 9999 ? 1 : seq + 1) {
        const body = `"SIA-DCS"${String(seq).padStart(4, '0')}L0#${acct}[#${acct}|NRP]_${formatTimestamp(Date.now())}`;
        const t0 = performance.now();
        const t1 = await line.request(encodeFrame(Buffer.from(body, 'latin1')));
        if (t0 >= from && t1 <= until) latency.push(t1 - t0);
      }
    }),
  );
  for (const l of lines) l.close();
  return { rate: latency.length / SECONDS, latency };
}

async function baseline(mode: 'bare' | 'noop') {
  const { child, captures } = await spawnUntil(
    ['bench/dc09-baseline.ts', mode],
    [/DC09_BASELINE_PORT=(\d+)/],
  );
  try {
    return await drive(Number(captures[0]));
  } finally {
    await stopChild(child);
  }
}

async function service() {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-dc09-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, cityYaml(CONNECTIONS));
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//],
  );
  try {
    const health = (await (await fetch(`${captures[0]}/api/health`)).json()) as {
      checks: { dc09: { port: number } };
    };
    const result = await drive(health.checks.dc09.port);
    const metrics = await (await fetch(`${captures[0]}/metrics`)).text();
    const stored = [
      ...metrics.matchAll(/^sharpeyes_events_committed_total\{[^}]*source="sia"[^}]*\} (\d+)/gm),
    ]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
    // Anything but an ACK leaves a connection waiting for good: name it, so a low rate is explained.
    const other = [
      ...metrics.matchAll(/^sharpeyes_dc09_messages_total\{outcome="(\w+)",reason="(\w+)"\} (\d+)/gm),
    ]
      .filter((m) => m[1] !== 'ack')
      .map((m) => `${m[1]}/${m[2]} ${m[3]}`);
    if (other.length > 0) console.log(`  service answered other than ACK: ${other.join(', ')}`);
    return { ...result, stored };
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const all = { bare: [] as number[], noop: [] as number[], svc: [] as number[] };
const rates = { bare: [] as number[], noop: [] as number[], svc: [] as number[] };
for (let r = 1; r <= RUNS; r++) {
  const bare = await baseline('bare');
  const noop = await baseline('noop');
  const svc = await service();
  all.bare.push(...bare.latency);
  all.noop.push(...noop.latency);
  all.svc.push(...svc.latency);
  rates.bare.push(bare.rate);
  rates.noop.push(noop.rate);
  rates.svc.push(svc.rate);
  const [b, n, s] = [summary(bare.latency), summary(noop.latency), summary(svc.latency)];
  console.log(
    `run ${r}: bare ${bare.rate.toFixed(0)}/s p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} | receiver ${noop.rate.toFixed(0)}/s p50 ${fmt(n.p50)} p99 ${fmt(n.p99)} | service ${svc.rate.toFixed(0)}/s p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} (${svc.stored} stored)`,
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const b = summary(all.bare);
const n = summary(all.noop);
const s = summary(all.svc);
console.log(`\nall runs (${RUNS} × ${CONNECTIONS} connections × ${SECONDS} s):`);
console.log(
  `  bare TCP fixed ACK     ${mean(rates.bare).toFixed(0)} msg/s   ACK p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`,
);
console.log(
  `  receiver, no-op sink   ${mean(rates.noop).toFixed(0)} msg/s   ACK p50 ${fmt(n.p50)}  p99 ${fmt(n.p99)}   (rate ${(mean(rates.noop) / mean(rates.bare)).toFixed(2)}× bare)`,
);
console.log(
  `  service, committed     ${mean(rates.svc).toFixed(0)} msg/s   ACK p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}   (rate ${(mean(rates.svc) / mean(rates.bare)).toFixed(2)}× bare, p99 ${(s.p99 / b.p99).toFixed(1)}× bare)`,
);
process.exit(0);
