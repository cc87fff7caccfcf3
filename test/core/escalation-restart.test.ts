import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

/** A P1's steps due 3 and 4 s after it opens, looked for every second. */
const YAML = `${TEST_CITY_YAML}
escalation:
  checkSeconds: 1
  P1:
    - { afterSeconds: 3, action: reannounce }
    - { afterSeconds: 4, action: escalate, to: parent }
`;

/**
 * The service stopped for longer than an incident's escalation steps and started again on the same
 * data (in this process): the steps are taken at the restart, each saying when it fell due.
 */
describe('escalation steps overdue after a stop', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-escalation-restart-'));
  let running: TestService | undefined;
  afterAll(async () => {
    await running?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('each step is taken once at the restart; its audit entry and the incident read back say when it fell due and when it was taken', async () => {
    const first = await startTestService({ yaml: YAML, dataDir, keepData: true });
    running = first;
    const now = new Date().toISOString();
    const out = await first.svc.need('core').ingest({
      key: 'panel:panel-1:late-1',
      source: 'panel',
      device: 'panel-1',
      site: 'shop-1',
      type: 'panic',
      ts: now,
      receivedAt: now,
    });
    const id = out.incident!;
    const opened = Date.parse((await first.svc.need('core').get(id))!.openedAt);
    await first.stop();
    running = undefined;
    // Stopped well before the first step fell due: nothing was taken.
    expect(Date.now() - opened).toBeLessThan(3_000);

    // Down past both steps, then up again on the same data.
    await new Promise((r) => setTimeout(r, Math.max(0, opened + 6_000 - Date.now())));
    const restarted = Date.now();
    const second = await startTestService({ yaml: YAML, dataDir });
    running = second;
    const audit = second.svc.need('audit');
    const entries = async () =>
      (await audit.list({ action: 'incident.escalation', target: `incident:${id}` }))
        .map((e) => e.detail as { step: number; dueAt?: string; at?: string })
        .sort((x, y) => x.step - y.step);
    await expect.poll(async () => (await entries()).length, { timeout: 15_000 }).toBe(2);
    const steps = await entries();
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(steps.map((s) => [s.step, s.dueAt])).toEqual([
      [1, iso(opened + 3_000)],
      [2, iso(opened + 4_000)],
    ]);
    // Taken at the restart, both: late by the stop, and said so beside when they were due.
    for (const s of steps) expect(Date.parse(s.at!)).toBeGreaterThanOrEqual(restarted);
    // Read back, the incident says the same: when each step was taken and when it fell due.
    const inc = (await second.svc.need('core').get(id))!;
    expect(inc.escalations.map((e) => [e.step, e.at, e.dueAt])).toEqual(
      steps.map((s) => [s.step, s.at, s.dueAt]),
    );
  }, 60_000);
});
