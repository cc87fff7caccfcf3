import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { SystemStatus } from '../../src/health/system-watch.js';
import { type Logger, silentLogger } from '../../src/log.js';
import { type RunningService, startService } from '../../src/main.js';

/** A small city: one centre, two stations, a site under each, a panel per site. */
export const TEST_CITY_YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: City 110
    children:
      - id: north
        name: North station
        children: [{ id: north-grid-1, name: North grid 1 }]
      - id: south
        name: South station
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 30
    zones: { "1": { name: front door }, "2": { name: back door } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2, heartbeatSeconds: 30 }
`;

export interface TestService extends RunningService {
  dataDir: string;
  httpUrl: string;
  mqttUrl: string;
  /**
   * Logs in (creating the user on first use, with `displayName` if given, as `sharpeyes user add
   * --name` or the users page makes one) and returns a token.
   */
  login(username: string, role?: string, scope?: string, displayName?: string): Promise<string>;
  /** Stops the service and removes its data dir. */
  close(): Promise<void>;
}

export function testConfig(yaml = TEST_CITY_YAML, dataDir?: string): Config {
  const cfg = parseConfig(yaml, 'test-config.yaml');
  if (dataDir) cfg.storage.dataDir = dataDir;
  // Issue 15: OWASP's scrypt cost (2^17) takes ~0.6 s a hash; test cities log in many users. The
  // recommended cost is tested in test/auth/; a YAML that sets its own cost keeps it.
  if (!/passwordHashCost/.test(yaml)) cfg.auth.passwordHashCost = 14;
  return cfg;
}

/** A login with a password over the API, as a person makes it: its status, and the token if one came. */
export async function passwordLogin(
  httpUrl: string,
  username: string,
  password: string,
): Promise<{ status: number; token: string | undefined }> {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  return { status: res.status, token: body.token };
}

export async function startTestService(
  opts: { yaml?: string; dataDir?: string; keepData?: boolean; log?: Logger } = {},
): Promise<TestService> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sharpeyes-test-'));
  const config = testConfig(opts.yaml, dataDir);
  const running = await startService({ config, log: opts.log ?? silentLogger });
  const { svc } = running;
  const httpUrl = svc.url!;
  const mqttUrl = `mqtt://127.0.0.1:${String(svc.parts.get('mqttPort'))}`;
  const created = new Set<string>();
  return {
    ...running,
    dataDir,
    httpUrl,
    mqttUrl,
    async login(username, role = 'operator', scope = 'city', displayName?: string) {
      const password = `pw-${username}-123`;
      if (!created.has(username) && !(await svc.need('store').users.findByUsername(username))) {
        await svc.need('auth').createUser({
          username,
          password,
          role: role as 'operator',
          scope,
          ...(displayName ? { displayName } : {}),
        });
      }
      created.add(username);
      const { status, token } = await passwordLogin(httpUrl, username, password);
      if (status !== 200 || !token) throw new Error(`login ${username} failed: ${status}`);
      return token;
    },
    async close() {
      await running.stop();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function opsClient(httpUrl: string, token: string): Promise<Socket> {
  const socket = io(`${httpUrl}/ops`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Resolves with the first emission of `event` that satisfies `pred`. */
export function nextEvent<T = unknown>(
  socket: Socket,
  event: string,
  pred: (v: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(v);
    };
    socket.on(event, on);
  });
}

export async function api<T = unknown>(
  url: string,
  token: string | undefined,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A counter's value in the service's /metrics: `series` is its name and labels as printed; 0 when absent. */
export async function counterValue(httpUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** The sum of a metric's samples in /metrics whose labels include every `labels` pair (0 when none). */
export async function metricSum(
  httpUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.split(' ').pop());
  }
  return sum;
}

/**
 * The reporting tables out of reach (as on a damaged disk), on the service's own connection: the
 * `reports` outbox sink fails from its next batch until the returned `restore()` (safe to call twice).
 */
export function reportsAway(svc: TestService): () => void {
  const db = svc.svc.need('store').db;
  db.exec('ALTER TABLE report_incidents RENAME TO report_incidents_away');
  let away = true;
  return () => {
    if (away) db.exec('ALTER TABLE report_incidents_away RENAME TO report_incidents');
    away = false;
  };
}

/** One panel event over MQTT at QoS 1: resolves on its PUBACK (the decision is durable). */
export async function sendPanelEvent(
  mqttUrl: string,
  panel: { id: string; secret: string },
  event: Record<string, unknown>,
): Promise<void> {
  const client = await mqtt.connectAsync(mqttUrl, {
    username: panel.id,
    password: panel.secret,
    clientId: panel.id,
  });
  try {
    await client.publishAsync(
      `sharpeyes/panels/${panel.id}/event`,
      JSON.stringify({ ts: new Date().toISOString(), ...event }),
      { qos: 1 },
    );
  } finally {
    await client.endAsync();
  }
}

/** A desk's /ops socket that notes every `system:status` from its first moment. */
export function systemDesk(
  httpUrl: string,
  token: string,
): { socket: Socket; heard: SystemStatus[]; connected: Promise<void> } {
  const heard: SystemStatus[] = [];
  const socket = io(`${httpUrl}/ops`, { auth: { token }, transports: ['websocket'], reconnection: false });
  socket.on('system:status', (s: SystemStatus) => heard.push(s));
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, heard, connected };
}
