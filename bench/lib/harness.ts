import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Clock ticks a second in /proc (Linux USER_HZ). */
const TICK = 100;

/**
 * CPU seconds (user + system) a process has used so far, threads included; with `reaped`, also that
 * of its children it has waited for. 0 once it is gone (or without a pid).
 */
export function cpuSeconds(pid: number | 'self' | undefined, reaped = false): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return (reaped ? own + Number(f[13]) + Number(f[14]) : own) / TICK;
  } catch {
    return 0;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function summary(samples: number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
  };
}

export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

/** Spawns a node/tsx child and resolves once its stdout matches every pattern; returns the captures. */
export async function spawnUntil(
  args: string[],
  patterns: RegExp[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; captures: string[] }> {
  // BENCH_CHILD_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the service under load.
  const extra = process.env['BENCH_CHILD_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child did not start: ${err || out}`)),
      opts.timeoutMs ?? 120_000, // a service start takes long on a loaded 2-core machine
    );
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = patterns.map((p) => p.exec(out));
      if (m.every((x) => x)) {
        clearTimeout(timer);
        resolve({ child, captures: m.map((x) => x?.[1] ?? '') });
      }
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/**
 * Adds an operator scoped at `city` with the real CLI, logs in over HTTP and opens a connected
 * Socket.IO `/ops` client: the operator's desk a benchmark times `incident:new` at.
 */
export async function operatorSocket(cfg: string, dataDir: string, httpUrl: string): Promise<Socket> {
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'user', 'add', '--config', cfg, '--data-dir', dataDir].concat([
      '--username',
      'bench',
      '--password',
      'bench-password',
      '--role',
      'operator',
      '--scope',
      'city',
    ]),
    { cwd: ROOT, stdio: 'ignore' },
  );
  const login = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
  });
  const { token } = (await login.json()) as { token: string };
  const socket = io(`${httpUrl}/ops`, { auth: { token }, transports: ['websocket'] });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return socket;
}

/** A bench's service: its process, data dir and URLs, and an operator's connected /ops socket. */
export interface BenchService {
  child: ChildProcess;
  dir: string;
  httpUrl: string;
  mqttUrl: string;
  socket: Socket;
}

/**
 * Runs `fn` against the service started from `yaml` (`start --no-demo` as its own process, in a fresh
 * data dir, with an operator's /ops socket), then closes the socket, stops the service and removes
 * the dir, whatever `fn` did. `opts.nodeArgs` go to the service's node before its script (a preload),
 * `opts.env` into its environment.
 */
export async function withBenchService<T>(
  yaml: string,
  fn: (svc: BenchService) => Promise<T>,
  opts: { timeoutMs?: number; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, yaml);
  const { child, captures } = await spawnUntil(
    [...(opts.nodeArgs ?? []), 'src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
    opts,
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  try {
    const socket = await operatorSocket(cfg, dir, httpUrl);
    try {
      return await fn({ child, dir, httpUrl, mqttUrl, socket });
    } finally {
      socket.close();
    }
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A panel of a timed panic: how it connects and where it publishes. */
export interface BenchPanel {
  opts: IClientOptions;
  topic: string;
}

/** A timed panic, in ms from its publish: to its PUBACK and to its arrival; `at`, the publish (epoch ms). */
export interface TimedPanic {
  puback: number;
  arrival: number;
  at: number;
}

/**
 * One timed panic from `p`: connect, publish a `panic` (id `b<i>`) at QoS 1, wait for its PUBACK and
 * for `arrived()` (the operator's `incident:new`, or the bare subscriber's message), disconnect. In ms
 * from the publish: to its PUBACK and to its arrival. With `open`, the panel's connection that stays
 * up (`connectPanels`), it publishes on that instead.
 */
export async function timedPanic(
  url: string,
  i: number,
  p: BenchPanel,
  arrived: () => Promise<void>,
  open?: MqttClient,
): Promise<TimedPanic> {
  if (open) return timedPublish(open, p.topic, i, arrived);
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...p.opts });
  try {
    return await timedPublish(client, p.topic, i, arrived);
  } finally {
    await client.endAsync();
  }
}

/** One timed panic on a panel's open connection (see `timedPanic`, which connects for it). */
async function timedPublish(
  client: MqttClient,
  topic: string,
  i: number,
  arrived: () => Promise<void>,
): Promise<TimedPanic> {
  const t0 = performance.now();
  // Timed when it happens: the push may come before the PUBACK.
  const got = arrived().then(() => performance.now() - t0);
  await client.publishAsync(
    topic,
    JSON.stringify({ id: `b${i}`, type: 'panic', ts: new Date().toISOString() }),
    { qos: 1 },
  );
  const puback = performance.now() - t0;
  return { puback, arrival: await got, at: performance.timeOrigin + t0 };
}

/**
 * Connects panels `0 … n-1` with `opts(i)` and keeps them connected, as real panels stay: 50 connects
 * at a time (a thousand simultaneous CONNECTs is a different benchmark).
 */
export async function connectPanels(
  url: string,
  n: number,
  opts: (i: number) => IClientOptions,
): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) =>
      mqtt.connectAsync(url, { reconnectPeriod: 0, ...opts(i + j) }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/**
 * `n` panics in turn, each from its own panel (`panel(i)`, see `timedPanic`), resting `pauseMs`
 * after each. Per panic, in ms from the publish: to its PUBACK and to its arrival.
 */
export async function timedPanics(
  url: string,
  n: number,
  panel: (i: number) => BenchPanel,
  arrived: () => Promise<void>,
  pauseMs = 0,
  connected = false,
): Promise<{ puback: number[]; arrival: number[] }> {
  const puback: number[] = [];
  const arrival: number[] = [];
  // `connected`: every panel connects first and stays connected (a real panel's session).
  const clients = connected ? await connectPanels(url, n, (i) => panel(i).opts) : [];
  try {
    for (let i = 0; i < n; i++) {
      const t = await timedPanic(url, i, panel(i), arrived, clients[i]);
      puback.push(t.puback);
      arrival.push(t.arrival);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  return { puback, arrival };
}

/** A bench's bare broker (bench/lib/bare-aedes.ts): its process, URL and a subscriber to every event. */
export interface BareAedes {
  child: ChildProcess;
  url: string;
  /** Subscribed at QoS 1 to `bench/+/event`: where `arrived` waits on the bare side. */
  sub: MqttClient;
  /** Panel `i` of the bare side: its client id and event topic. */
  panel(i: number): BenchPanel;
  /** Resolves on the subscriber's next message. */
  arrived(): Promise<void>;
}

/**
 * Runs `fn` against bare Aedes started as its own process (with `sqlite`, inserting each publish into
 * a bare SQLite table before its PUBACK, in a fresh dir), then stops it and removes the dir.
 */
export async function withBareAedes<T>(sqlite: boolean, fn: (bare: BareAedes) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-bare-'));
  const { child, captures } = await spawnUntil(
    ['bench/lib/bare-aedes.ts', ...(sqlite ? ['--sqlite', dir] : [])],
    [/BARE_AEDES_PORT=(\d+)/],
  );
  const url = `mqtt://127.0.0.1:${captures[0]}`;
  try {
    const sub = await mqtt.connectAsync(url, { clientId: 'bare-sub' });
    await sub.subscribeAsync('bench/+/event', { qos: 1 });
    try {
      return await fn({
        child,
        url,
        sub,
        panel: (i) => ({ opts: { clientId: `bare-p${i}` }, topic: `bench/p${i}/event` }),
        arrived: () => new Promise<void>((r) => sub.once('message', () => r())),
      });
    } finally {
      await sub.endAsync();
    }
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The longest the thread went without a turn of the loop while the probe ran: a chain of
 * `setImmediate`s notes each turn (a read done in one piece holds the thread for all of it).
 */
export function holds(): { stop(): number } {
  let last = performance.now();
  let most = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    most = Math.max(most, now - last);
    last = now;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      on = false;
      return Math.max(most, performance.now() - last);
    },
  };
}
