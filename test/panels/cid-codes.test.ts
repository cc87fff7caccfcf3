import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePanelEvent } from '../../drivers/mqtt-panel/protocol.js';
import { mapCid } from '../../src/panels/cid-codes.js';
import { toNormalized } from '../../src/panels/panel-mapping.js';
import { startTestService, type TestService } from '../helpers/service.js';

interface CidCase {
  name: string;
  payload: Record<string, unknown> & { id: string; ts: string };
  expect: { type: string; zone?: string; detail?: Record<string, unknown> };
}

const CASES = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mqtt-panel', 'cid-events.json'), 'utf8'),
) as CidCase[];

describe('Contact ID mapping', () => {
  it.each(CASES)('$name', (c) => {
    const wire = parsePanelEvent(Buffer.from(JSON.stringify(c.payload)), {
      maxBytes: 8192,
      maxSkewMs: 60_000,
      now: Date.parse(c.payload.ts),
    });
    const ev = toNormalized('panel-1', 'shop-1', wire, new Date(c.payload.ts));
    expect(ev.type).toBe(c.expect.type);
    expect(ev.key).toBe(`panel:panel-1:${c.payload.id}`);
    expect(ev.detail).toEqual(c.expect.detail);
    if (c.payload['cid'] !== undefined) expect(ev.cid).toBe(c.payload['cid']);
    if (c.expect.zone !== undefined) expect(ev.zone).toBe(c.expect.zone);
  });

  it.each([['E'], ['R']])('every code in the table maps with qualifier %s', (q) => {
    for (const code of ['100', '110', '120', '121', '130', '137', '301', '302', '401', '602']) {
      expect(mapCid(`${q}${code}`), `${q}${code}`).toBeDefined();
    }
  });

  it.each([['X120'], ['E12'], ['E1200'], ['e120']])('rejects the malformed code %s', (cid) => {
    expect(mapCid(cid)).toBeUndefined();
  });
});

describe('Contact ID codes over MQTT end to end', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('every fixture is stored with the mapped type, its code and its detail', async () => {
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-2',
      password: 'secret-panel-2',
      clientId: 'panel-2-cid-e2e',
    });
    for (const c of CASES) {
      const payload = { ...c.payload, ts: new Date().toISOString() };
      await panel.publishAsync('sharpeyes/panels/panel-2/event', JSON.stringify(payload), { qos: 1 });
    }
    await panel.endAsync();
    const events = svc.svc.need('store');
    for (const c of CASES) {
      const stored = await events.events.get(`panel:panel-2:${c.payload.id}`);
      expect(stored, c.name).toMatchObject({ type: c.expect.type, site: 'bank-2', source: 'panel' });
      expect(stored?.detail, c.name).toEqual(c.expect.detail);
      expect(stored?.cid, c.name).toBe(c.payload['cid']);
    }
  });
});
