import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { type RunningService, startService } from '../../../src/main.js';
import { testConfig } from '../../helpers/service.js';
import { rejectedCount, storedEvents } from './helpers.js';

interface BadCase {
  name: string;
  raw?: string;
  payload?: Record<string, unknown>;
  reason: string;
}

const CASES = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'mqtt-panel', 'bad-payloads.json'), 'utf8'),
) as BadCase[];

/** `@now` is the current time, `@9000` a 9000-character pad. */
function render(c: BadCase): string {
  if (c.raw !== undefined) return c.raw;
  return JSON.stringify(c.payload, (_k, v: unknown) => {
    if (v === '@now') return new Date().toISOString();
    if (typeof v === 'string' && /^@\d+$/.test(v)) return 'x'.repeat(Number(v.slice(1)));
    return v;
  });
}

describe('bad panel input', () => {
  let running: RunningService;
  let dataDir: string;
  let httpUrl: string;
  let panel: MqttClient;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-bad-'));
    const log = createLogger({
      level: 'warn',
      destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    });
    running = await startService({ config: testConfig(undefined, dataDir), log });
    httpUrl = running.svc.url!;
    const mqttUrl = `mqtt://127.0.0.1:${String(running.svc.parts.get('mqttPort'))}`;
    panel = await mqtt.connectAsync(mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'bad',
    });
  });
  afterAll(async () => {
    await panel?.endAsync();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(CASES)('$name: rejected as $reason, counted, nothing stored, PUBACKed', async (c) => {
    const before = await rejectedCount(httpUrl, c.reason);
    const db = running.svc.need('store').db;
    const storedBefore = storedEvents(db, 'panel-1');
    // Resolves on the PUBACK: a poison message is acknowledged, or the panel would resend it forever.
    await panel.publishAsync('sharpeyes/panels/panel-1/event', render(c), { qos: 1 });
    expect(await rejectedCount(httpUrl, c.reason)).toBe(before + 1);
    expect(storedEvents(db, 'panel-1')).toBe(storedBefore);
    expect((db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n).toBe(0);
  });

  it('logs the rejections of one panel at most once a minute, naming the reason', () => {
    const refused = lines.filter((l) => l['msg'] === 'panels: message refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ panelId: 'panel-1', reason: CASES[0]?.reason });
    expect(JSON.stringify(lines)).not.toContain('secret-panel-1');
  });

  it('a good event after all that is stored', async () => {
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'good-1', type: 'intrusion', zone: '2', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    expect(storedEvents(running.svc.need('store').db, 'panel-1')).toBe(1);
  });
});
