/**
 * Issue 8 benchmark: a panic until the operator sees it, in headless Chromium.
 * The service runs as its own process (`sharpeyes start`); a panel (the protocol-v1 simulator)
 * publishes `panic` at QoS 1; we time publish → (a) a bare
 * Socket.IO `/ops` client in Node receives `incident:new` (the bare tool: what the console is fed
 * by), (b) the console's queue row is in the DOM, (c) the next animation frame after it (painted).
 * Between samples the incident is closed over the API so each panic opens a new one.
 *
 *   npx tsx bench/console-alarm.ts [--alarms 60]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { PanelSimulator } from '../drivers/simulator/panel-simulator.js';
import type { Incident } from '../src/core/incident-types.js';
import { api } from '../test/helpers/service.js';
import { CITY_YAML, HALL, launchChromium, loginInPage } from '../test/web/console-helpers.js';
import { spawnUntil, stopChild, summary } from './lib/harness.js';

const { values } = parseArgs({ options: { alarms: { type: 'string', default: '60' } } });
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
    {
      stdio: 'ignore',
    },
  );
  return password;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-console-'));
  const cfg = join(dir, 'city.yaml');
  writeFileSync(cfg, CITY_YAML.replace(/escalation:[\s\S]*$/, ''));
  const { child, captures } = await spawnUntil(
    ['src/cli.ts', 'start', '--config', cfg, '--data-dir', dir, '--no-demo'],
    [/Console: (http:\/\/[\d.:]+)\//, /MQTT panels: (mqtt:\/\/[\d.:]+)/],
  );
  const [httpUrl, mqttUrl] = captures as [string, string];
  const browser = await launchChromium();
  const panel = new PanelSimulator({ url: mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
  try {
    await panel.connect();
    const page = await (await browser.newContext({ viewport: HALL })).newPage();
    await loginInPage(page, httpUrl, 'op-bench', addUser(cfg, dir, 'op-bench'));
    await page.locator('#queue-list').waitFor();
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
    for (let i = 0; i < ALARMS + 5; i++) {
      const got = new Promise<{ inc: Incident; at: number }>((resolve) =>
        bare.once('incident:new', (inc: Incident) => resolve({ inc, at: Date.now() })),
      );
      const t0 = Date.now();
      await panel.send('panic', { zone: '1' });
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
      if (i >= 5) {
        // The first few warm up the JIT, SQLite statements and the page.
        socketMs.push(at - t0);
        domMs.push(row.dom - t0);
        frameMs.push(row.frame - t0);
      }
      for (const action of ['ack', 'false-alarm'])
        await api(`${httpUrl}/api/incidents/${inc.id}/${action}`, token, { method: 'POST', body: '{}' });
    }
    bare.close();
    const s = summary(socketMs);
    const d = summary(domMs);
    const f = summary(frameMs);
    console.log(
      `alarms: ${ALARMS} (after 5 warm-up), service as its own process, Chromium headless, 1920x1080`,
    );
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
    await panel.close();
    await browser.close();
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
