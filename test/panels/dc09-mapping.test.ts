import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseContactId } from '../../drivers/sia-dc09/contact-id.js';
import type { Dc09Event, Dc09Message } from '../../drivers/sia-dc09/pipeline.js';
import { parseSiaData } from '../../drivers/sia-dc09/sia-data.js';
import { parseConfig } from '../../src/config/load.js';
import { CID_CODES, mapCid, SIA_CODES } from '../../src/panels/cid-codes.js';
import { type Dc09Account, Dc09Accounts } from '../../src/panels/dc09-accounts.js';
import { messageIds, toNormalizedDc09 } from '../../src/panels/dc09-mapping.js';
import { dc09CityYaml } from './dc09-fixture.js';

interface Case {
  name: string;
  data: string;
  type: 'SIA-DCS' | 'ADM-CID';
  expect: { type: string; zone?: string; cid?: string; detail?: Record<string, unknown> }[];
}
const CASES = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'sia-dc09', 'mapped-events.json'), 'utf8'),
) as Case[];

const ACCOUNT: Dc09Account = {
  panelId: 'panel-1',
  site: 'shop-1',
  account: '1234',
  receiver: undefined,
  line: '1',
};
const RECEIVED = new Date('2026-11-23T08:00:05Z');

function message(
  type: Case['type'] | 'NULL',
  data: string,
  over: Partial<Dc09Message<Dc09Account>> = {},
): Dc09Message<Dc09Account> {
  let events: Dc09Event[] = [];
  if (type === 'SIA-DCS')
    events = (parseSiaData(data)?.events ?? []).map((e) => ({ format: 'SIA' as const, ...e }));
  if (type === 'ADM-CID') {
    const cid = parseContactId(data);
    if (cid) events = [{ format: 'CID', ...cid.event }];
  }
  return {
    policy: ACCOUNT,
    type,
    encrypted: false,
    seq: '0042',
    receiver: undefined,
    line: '1',
    account: '1234',
    content: { data, xdata: [], timestamp: '08:00:01,11-23-2026' },
    timestamp: Date.parse('2026-11-23T08:00:01Z'),
    events,
    form: 'hex',
    ...over,
  };
}

describe('DC-09 events mapped to the normalized model (one table with the MQTT path)', () => {
  it.each(CASES)('$name', (c) => {
    const events = toNormalizedDc09(message(c.type, c.data), 'id', RECEIVED);
    expect(events).toHaveLength(c.expect.length);
    c.expect.forEach((x, i) => {
      const ev = events[i];
      expect(ev).toMatchObject({
        source: 'sia',
        device: 'panel-1',
        site: 'shop-1',
        type: x.type,
        ts: '2026-11-23T08:00:01.000Z',
      });
      expect(ev?.zone).toBe(x.zone);
      expect(ev?.cid).toBe(x.cid);
      if (x.detail) expect(ev?.detail).toMatchObject(x.detail);
      expect(ev?.detail?.['dc09']).toMatchObject({ format: c.type, account: '1234', seq: '0042', line: '1' });
      expect(ev?.key).toBe(i === 0 ? 'sia:panel-1:id' : `sia:panel-1:id.${i}`);
    });
  });

  it('every SIA code in the table names a Contact ID code the table knows', () => {
    for (const [sia, cid] of Object.entries(SIA_CODES)) {
      expect(mapCid(cid), `${sia} → ${cid}`).toBeDefined();
      expect(CID_CODES[cid.slice(1)], `${sia} → ${cid}`).toBeDefined();
    }
  });

  it('a panel clock more than a day off is not used for the event time', () => {
    const [ev] = toNormalizedDc09(
      message('SIA-DCS', '#1234|NPA1', { timestamp: Date.parse('2019-01-01T00:00:00Z') }),
      'id',
      RECEIVED,
    );
    expect(ev?.ts).toBe(RECEIVED.toISOString());
    expect(ev?.detail?.['dc09']).toMatchObject({ panelTime: '08:00:01,11-23-2026' });
  });
});

describe('DC-09 event ids', () => {
  const WINDOW = 300_000;
  const at = Date.parse('2026-11-23T08:02:00Z');
  const ids = (m: Dc09Message<Dc09Account>, t = at) => messageIds(m, t, WINDOW);

  it('a repeat with a new timestamp, pad or encryption has the same id', () => {
    const a = ids(message('SIA-DCS', '#1234|NPA1'));
    const b = ids(
      message('SIA-DCS', '#1234|NPA1', {
        encrypted: true,
        content: { data: '#1234|NPA1', xdata: [], timestamp: '08:01:59,11-23-2026' },
      }),
      at + 20_000,
    );
    expect(b.current).toBe(a.current);
  });

  it.each([
    ['another sequence number', message('SIA-DCS', '#1234|NPA1', { seq: '0043' })],
    ['another zone', message('SIA-DCS', '#1234|NPA2')],
    ['another format', message('ADM-CID', '#1234|1120 01 001')],
    [
      'other extended data',
      message('SIA-DCS', '#1234|NPA1', {
        content: { data: '#1234|NPA1', xdata: [{ id: 'V', value: '1' }], timestamp: undefined },
      }),
    ],
  ])('%s is another id', (_what, m) => {
    expect(ids(m).current).not.toBe(ids(message('SIA-DCS', '#1234|NPA1')).current);
  });

  it('the same sequence number and content in a later window is another id; the window before is the one checked', () => {
    const now = ids(message('SIA-DCS', '#1234|NPA1'));
    const later = ids(message('SIA-DCS', '#1234|NPA1'), at + WINDOW);
    expect(later.current).not.toBe(now.current);
    expect(later.previous).toBe(now.current);
  });
});

describe('DC-09 accounts', () => {
  const panels = parseConfig(dc09CityYaml(), 'city.yaml').panels;
  const extra = parseConfig(
    `${dc09CityYaml()}  - { id: panel-4, site: shop-1, dc09: { account: "1234", line: "2" } }\n  - { id: panel-5, site: shop-1, dc09: { account: "1234" } }\n`,
    'city.yaml',
  ).panels;

  it.each([
    [{ account: '1234', receiver: undefined, line: '1' }, 'panel-1'],
    [{ account: '1234', receiver: '7', line: '001' }, 'panel-1'],
    [{ account: 'ab12', receiver: undefined, line: '0' }, 'panel-2'],
    [{ account: '1234', receiver: undefined, line: '3' }, undefined],
    [{ account: '4321', receiver: undefined, line: '1' }, undefined],
  ])('%j is %s', (who, panel) => {
    expect(new Dc09Accounts(panels).lookup(who)?.panelId).toBe(panel);
  });

  it('the most specific entry wins when an account is on several lines', () => {
    const a = new Dc09Accounts(extra);
    expect(a.lookup({ account: '1234', receiver: undefined, line: '1' })?.panelId).toBe('panel-1');
    expect(a.lookup({ account: '1234', receiver: undefined, line: '2' })?.panelId).toBe('panel-4');
    expect(a.lookup({ account: '1234', receiver: undefined, line: '9' })?.panelId).toBe('panel-5');
  });
});
