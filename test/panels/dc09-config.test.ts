import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';

const CITY = `
jurisdictions: [{ id: c, name: C }]
sites: [{ id: s, name: S, jurisdiction: c, kind: shop, location: { lat: 1, lon: 1 } }]
`;

describe('DC-09 configuration', () => {
  it('fills the receiver defaults; absent means no receiver', () => {
    expect(parseConfig('dc09: { port: 0 }', 'x.yaml').dc09).toEqual({
      host: '0.0.0.0',
      port: 0,
      maxPastSeconds: 40,
      maxFutureSeconds: 20,
      duplicateWindowSeconds: 300,
    });
    expect(parseConfig('{}', 'x.yaml').dc09).toBeUndefined();
  });

  it('reads a DC-09-only panel: no MQTT secret, account and line upper-cased', () => {
    const cfg = parseConfig(
      `${CITY}panels: [{ id: p, site: s, dc09: { account: ab12, line: "0a", key: "${'0f'.repeat(16)}", localTimeOffset: "+08:00", binaryCrc: true } }]`,
      'x.yaml',
    );
    expect(cfg.panels[0]).toMatchObject({
      id: 'p',
      heartbeatSeconds: 60,
      dc09: { account: 'AB12', line: '0A', localTimeOffset: '+08:00', binaryCrc: true },
    });
    expect(cfg.panels[0]?.secret).toBeUndefined();
  });

  it.each([
    ['a receiver without port', 'dc09: { host: 127.0.0.1 }', /dc09\.port: /],
    ['an unknown receiver key', 'dc09: { port: 1, tls: true }', /dc09: unknown key\(s\) "tls"/],
    [
      'a panel with neither secret nor dc09',
      `${CITY}panels: [{ id: p, site: s }]`,
      /panels\.0\.secret: a panel needs a secret .* or a dc09 account/,
    ],
    [
      'an account that is not hex',
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "12-4" } }]`,
      /panels\.0\.dc09\.account: a DC-09 account: 3 to 16 hex digits/,
    ],
    [
      'an account of 2 digits',
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "12" } }]`,
      /panels\.0\.dc09\.account: /,
    ],
    [
      'a key of 16 characters',
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "1234", key: "0123456789ABCDEF" } }]`,
      /panels\.0\.dc09\.key: an AES key of 32, 48 or 64 hex digits .* in hex/,
    ],
    [
      'a bad UTC offset',
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "1234", localTimeOffset: "UTC+8" } }]`,
      /panels\.0\.dc09\.localTimeOffset: a UTC offset such as "\+08:00"/,
    ],
    [
      'two panels on one account and line',
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "1234" } }, { id: q, site: s, dc09: { account: "1234" } }]`,
      /panels\.1\.dc09\.account: DC-09 account 1234 is already panel "p"'s; give one of them another line or receiver/,
    ],
  ])('rejects %s with the key path', (_what, yaml, message) => {
    expect(() => parseConfig(yaml, 'x.yaml')).toThrow(message);
  });

  it('accepts one account on two lines', () => {
    const cfg = parseConfig(
      `${CITY}panels: [{ id: p, site: s, dc09: { account: "1234", line: "1" } }, { id: q, site: s, dc09: { account: "1234", line: "2" } }]`,
      'x.yaml',
    );
    expect(cfg.panels.map((p) => p.dc09?.line)).toEqual(['1', '2']);
  });

  it('the demo city runs a receiver and has a panel reporting over DC-09', () => {
    const cfg = loadConfig(join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'));
    // A free port, so two demos (or a demo and a test run) never collide; /api/health shows it.
    expect(cfg.dc09?.port).toBe(0);
    expect(cfg.panels.filter((p) => p.dc09).length).toBeGreaterThanOrEqual(1);
  });
});
