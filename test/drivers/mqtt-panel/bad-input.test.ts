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

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'mqtt-panel');
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'bad-payloads.json'), 'utf8')) as BadCase[];

interface KeptCase {
  name: string;
  raw?: string;
  payload?: Record<string, unknown>;
  type: string;
  problem: string;
}
/** Malformed payloads that still name an alarm: kept as alarms (issue 13), never dropped. */
const KEPT = JSON.parse(readFileSync(join(FIXTURES, 'kept-alarms.json'), 'utf8')) as KeptCase[];

/** `@now` is the current time, `@9000` a 9000-character pad. */
function render(c: { raw?: string; payload?: Record<string, unknown> }): string {
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
      clientId: 'panel-1-bad',
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

  it.each(KEPT)('$name: kept as a $type alarm, the problem recorded', async (c) => {
    const db = running.svc.need('store').db;
    const before = storedEvents(db, 'panel-1');
    await panel.publishAsync('sharpeyes/panels/panel-1/event', render(c), { qos: 1 });
    expect(storedEvents(db, 'panel-1')).toBe(before + 1);
    const row = db
      .prepare("SELECT type, detail FROM events WHERE device = 'panel-1' ORDER BY rowid DESC LIMIT 1")
      .get() as { type: string; detail: string };
    expect(row.type).toBe(c.type);
    const detail = JSON.parse(row.detail) as { malformed: string[] };
    expect(detail.malformed.join('; ')).toContain(c.problem);
    const open = db
      .prepare(
        "SELECT COUNT(*) AS n FROM incidents WHERE site = 'shop-1' AND kind = 'alarm' AND state = 'new'",
      )
      .get() as { n: number };
    expect(open.n).toBe(1);
  });

  it('the same malformed panic sent again is one event (its id is derived from its bytes)', async () => {
    const db = running.svc.need('store').db;
    const raw = JSON.stringify({ type: 'panic', zone: '7', ts: 'yesterday' });
    await panel.publishAsync('sharpeyes/panels/panel-1/event', raw, { qos: 1 });
    const after1 = storedEvents(db, 'panel-1');
    await panel.publishAsync('sharpeyes/panels/panel-1/event', raw, { qos: 1 });
    expect(storedEvents(db, 'panel-1')).toBe(after1);
  });

  it.each([
    { name: 'a panel whose clock reset to 2000 after a power cut', ts: '2000-01-01T00:00:00Z', sign: -1 },
    { name: 'a panel whose clock runs years ahead', ts: '2031-01-01T00:00:00Z', sign: 1 },
  ])('$name: its panic is kept, dated by the receive time, the skew recorded', async ({ ts, sign }) => {
    const db = running.svc.need('store').db;
    const id = `skew-${sign}`;
    const t0 = Date.now();
    const p2 = await mqtt.connectAsync(`mqtt://127.0.0.1:${String(running.svc.parts.get('mqttPort'))}`, {
      username: 'panel-2',
      password: 'secret-panel-2',
      clientId: 'panel-2-skew',
    });
    try {
      await p2.publishAsync('sharpeyes/panels/panel-2/event', JSON.stringify({ id, type: 'panic', ts }), {
        qos: 1,
      });
    } finally {
      await p2.endAsync();
    }
    const row = db
      .prepare('SELECT ts, received_at, detail FROM events WHERE key = ?')
      .get(`panel:panel-2:${id}`) as { ts: string; received_at: string; detail: string } | undefined;
    expect(row).toBeDefined();
    expect(row!.ts).toBe(new Date(ts).toISOString());
    expect(Date.parse(row!.received_at)).toBeGreaterThanOrEqual(t0 - 1000);
    const skew = (JSON.parse(row!.detail) as { clockSkewSeconds: number }).clockSkewSeconds;
    expect(Math.sign(skew)).toBe(sign);
    expect(Math.abs(skew)).toBeGreaterThan(86_400);
    const inc = db
      .prepare(
        'SELECT i.opened_at FROM incidents i JOIN incident_events ie ON ie.incident_id = i.id WHERE ie.event_key = ?',
      )
      .get(`panel:panel-2:${id}`) as { opened_at: string };
    expect(Date.parse(inc.opened_at)).toBeGreaterThanOrEqual(t0 - 1000);
  });
});
