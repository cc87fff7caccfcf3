import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';

export const ROOT = join(import.meta.dirname, '..', '..');

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
 * the dir, whatever `fn` did.
 */
export async function withBenchService<T>(
  yaml: string,
  fn: (svc: BenchService) => Promise<T>,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, yaml);
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
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
