/**
 * Issue 21 benchmark: a panic until the operator sees it when the queue is already full. The
 * console now re-sorts and re-draws the whole alarms tab (sections, escalation and overdue badges,
 * who holds each alarm) on every change; this measures what that costs with `--open` alarms
 * already open, against the bare tool in the same run: a Node Socket.IO `/ops` client (what the
 * console is fed by). The service runs as its own process (`sharpeyes start`); the open alarms are
 * real panics from their own panels; each timed panic comes from one more panel and is closed again.
 *
 *   npx tsx bench/console-busy-queue.ts [--open 300] [--alarms 60]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { io } from 'socket.io-client';
import type { Incident } from '../src/core/incident-types.js';
import { api } from '../test/helpers/service.js';
import { HALL, launchChromium, loginInPage } from '../test/web/console-helpers.js';
import { cityYaml } from './lib/city.js';
import { spawnUntil, stopChild, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: { open: { type: 'string', default: '300' }, alarms: { type: 'string', default: '60' } },
});
const OPEN = Number(values.open);
const ALARMS = Number(values.alarms);

/** Records, in the page, when each new alarm row appears and when the frame after it is drawn. */
async function watchQueue(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = new Map<string, { dom: number; frame?: number }>();
    (window as unknown as { __rows: typeof seen }).__rows = seen;
    const list = document.querySelector('#queue-list')!;
    new MutationObserver(() => {
      for (const row of Array.from(list.querySelectorAll<HTMLElement>('.row.state-new[data-kind=alarm]'))) {
        const id = row.dataset['id']!;
        if (seen.has(id)) continue;
        const entry: { dom: number; frame?: number } = { dom: Date.now() };
        seen.set(id, entry);
        requestAnimationFrame(() => {
          entry.frame = Date.now();
        });
      }
    }).observe(list, { childList: true, subtree: true });
  });
}

function addUser(cfg: string, dir: string, username: string): string {
  const password = `pw-${username}-123`;
  const args = ['--import', 'tsx', 'src/cli.ts', 'user', 'add', '--config', cfg, '--data-dir', dir];
  execFileSync(
    process.execPath,
    [...args, '--username', username, '--password', password, '--role', 'operator', '--scope', 'city'],
    { stdio: 'ignore' },
  );
  return password;
}

/** A panel's one panic over protocol v1, resolved on its PUBACK. */
async function panic(url: string, i: number): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `p${i}`,
    username: `p${i}`,
    password: `secret-${i}-xyz`,
  });
  const payload = { id: `bench-${i}-${Date.now()}`, type: 'panic', zone: '1', ts: new Date().toISOString() };
  await c.publishAsync(`sharpeyes/panels/p${i}/event`, JSON.stringify(payload), { qos: 1 });
  return c;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-busy-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, cityYaml(OPEN + ALARMS + 5));
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  const browser = await launchChromium();
  const clients: mqtt.MqttClient[] = [];
  try {
    for (let i = 0; i < OPEN; i++) clients.push(await panic(mqttUrl, i));
    const page = await (await browser.newContext({ viewport: HALL })).newPage();
    await loginInPage(page, httpUrl, 'op-bench', addUser(cfg, dir, 'op-bench'));
    await page.locator('#queue-list').waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#queue-list .row').length >= n, OPEN);
    await watchQueue(page);
    const login = await api<{ token: string }>(`${httpUrl}/api/auth/login`, undefined, {
      method: 'POST',
      body: JSON.stringify({ username: 'op-bare', password: addUser(cfg, dir, 'op-bare') }),
    });
    const token = login.body.token;
    const bare = io(`${httpUrl}/ops`, { auth: { token }, transports: ['websocket'] });
    await new Promise<void>((resolve) => bare.once('connect', () => resolve()));

    const socketMs: number[] = [];
    const domMs: number[] = [];
    const frameMs: number[] = [];
    for (let k = 0; k < ALARMS + 5; k++) {
      const got = new Promise<{ inc: Incident; at: number }>((resolve) =>
        bare.once('incident:new', (inc: Incident) => resolve({ inc, at: Date.now() })),
      );
      const t0 = Date.now();
      clients.push(await panic(mqttUrl, OPEN + k));
      const { inc, at } = await got;
      let row: { dom: number; frame?: number } | undefined;
      while (!row?.frame) {
        row = await page.evaluate(
          (id) =>
            (window as unknown as { __rows: Map<string, { dom: number; frame?: number }> }).__rows.get(id),
          inc.id,
        );
        if (!row?.frame) await new Promise((r) => setTimeout(r, 5));
      }
      if (k >= 5) {
        socketMs.push(at - t0);
        domMs.push(row.dom - t0);
        frameMs.push(row.frame - t0);
      }
      await api(`${httpUrl}/api/incidents/${inc.id}/false-alarm`, token, { method: 'POST', body: '{}' });
    }
    const rows = await page.locator('#queue-list .row').count();
    bare.close();
    const s = summary(socketMs);
    const d = summary(domMs);
    const f = summary(frameMs);
    console.log(`open alarms in the queue: ${rows}; timed panics: ${ALARMS} (after 5 warm-up); 1920x1080`);
    console.log('| path | p50 ms | p90 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|---|');
    for (const [name, x] of [
      ['publish → bare Socket.IO client `incident:new`', s],
      ['publish → queue row in the DOM', d],
      ['publish → next frame after the row (painted)', f],
    ] as const)
      console.log(`| ${name} | ${x.p50} | ${x.p90} | ${x.p99} | ${x.max} |`);
    console.log(
      `ratio row/bare p50 ${(d.p50 / Math.max(1, s.p50)).toFixed(2)}×, p99 ${(d.p99 / Math.max(1, s.p99)).toFixed(2)}×`,
    );
  } finally {
    for (const c of clients) await c.endAsync().catch(() => undefined);
    await browser.close();
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
