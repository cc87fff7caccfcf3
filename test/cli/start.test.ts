import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildService } from '../helpers/child-service.js';
import { threadNice } from '../helpers/thread-nice.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sharpeyes-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('sharpeyes start', () => {
  it('with no config runs the demo city: console, health, demo login, simulated panels online', async () => {
    const svc = await startChildService(['--data-dir', tempDir(), '--http-port', '0', '--mqtt-port', '0']);
    let allUp = Number.POSITIVE_INFINITY;
    let stopping = Number.POSITIVE_INFINITY;
    try {
      expect(svc.output()).toMatch(/operator\s+sharpeyes-demo\s+operator @ city/);
      const page = await fetch(`${svc.httpUrl}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sharpeyes');
      const health = (await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { status: string };
      expect(health.status).toBe('ok');
      const login = await fetch(`${svc.httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'operator', password: 'sharpeyes-demo' }),
      });
      expect(login.status).toBe(200);
      const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
      expect(metrics).toContain('sharpeyes_events_committed_total');
      // Issue 13: the alarm thread (the process's main thread) runs above every other thread of it.
      // A thread started after the start's pass (libuv's pool on its first use, under a loaded
      // machine's timing) is lowered by the next pass, 10 s later at most: looked at until then.
      const pid = svc.child.pid!;
      const helpersAtZero = () =>
        [...threadNice(pid)].filter(([tid, n]) => tid !== pid && n < 10).map(([tid]) => tid);
      expect(threadNice(pid).get(pid)).toBe(0);
      expect(threadNice(pid).size).toBeGreaterThan(6);
      await expect.poll(helpersAtZero, { timeout: 15_000, interval: 500 }).toEqual([]);
      expect(threadNice(pid).get(pid)).toBe(0);
      // The demo's simulated cameras are up before the registry first connects, and still up while
      // the service lets go of them: a start and a stop log no camera lost (before: 25 warnings at a
      // start, 10 at a stop, that a first look at the log reads as faults).
      const deadline = Date.now() + 90_000;
      for (;;) {
        const h = (await (await fetch(`${svc.httpUrl}/api/health`)).json()) as {
          checks: { cameras: { cameras: number; up: number } };
        };
        if (h.checks.cameras.up === h.checks.cameras.cameras) {
          allUp = Date.now();
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`demo cameras not up: ${JSON.stringify(h.checks.cameras)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      stopping = Date.now();
      expect(await svc.stop('SIGTERM')).toBe(0);
    }
    // Until every camera was up, and from the stop on (the demo's footage may be swapped in between).
    const cameraWarnings = svc
      .output()
      .split('\n')
      .filter((l) => l.includes('"level":40') && /"msg":"(cameras|streams): /.test(l))
      .filter((l) => {
        const at = (JSON.parse(l) as { time: number }).time;
        return at <= allUp || at >= stopping;
      });
    expect(cameraWarnings).toEqual([]);
  });

  it('on SIGTERM commits every event it acknowledged, then exits 0', async () => {
    const dataDir = tempDir();
    const svc = await startChildService([
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--no-demo',
      '--config',
      join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'),
    ]);
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-supermarket',
      password: 'demo-secret-supermarket',
      clientId: 'panel-supermarket-term',
      reconnectPeriod: 0,
    });
    const acked: string[] = [];
    const sends: Promise<unknown>[] = [];
    let stopping: Promise<number | null> | undefined;
    // A steady stream; SIGTERM lands in the middle of it, after 50 PUBACKs.
    for (let i = 0; i < 400 && !svc.child.killed; i++) {
      const id = `term-${i}`;
      const payload = JSON.stringify({
        id,
        type: i % 2 ? 'intrusion' : 'test',
        zone: String(1 + (i % 3)),
        ts: new Date().toISOString(),
      });
      sends.push(
        panel.publishAsync('sharpeyes/panels/panel-supermarket/event', payload, { qos: 1 }).then(
          () => {
            acked.push(id);
            if (acked.length === 50) stopping = svc.stop('SIGTERM');
          },
          () => undefined,
        ),
      );
      await new Promise((r) => setTimeout(r, 2));
    }
    await expect.poll(() => stopping, { timeout: 10_000 }).toBeDefined();
    const code = await svc.stop('SIGTERM');
    await Promise.race([Promise.allSettled(sends), new Promise((r) => setTimeout(r, 2000))]);
    panel.end(true);
    expect(code).toBe(0);
    expect(acked.length).toBeGreaterThan(0);
    const db = new Database(join(dataDir, 'sharpeyes.db'), { readonly: true });
    const stored = new Set(
      (
        db.prepare("SELECT key FROM events WHERE device = 'panel-supermarket'").all() as { key: string }[]
      ).map((r) => r.key),
    );
    db.close();
    const lost = acked.filter((id) => !stored.has(`panel:panel-supermarket:${id}`));
    expect(lost).toEqual([]);
  });
});
