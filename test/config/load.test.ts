import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, substituteEnv } from '../../src/config/load.js';

const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'config', name);

describe('config', () => {
  it('loads the demo city with defaults filled in', () => {
    const cfg = loadConfig(join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'));
    expect(cfg.mqtt.topicPrefix).toBe('sharpeyes');
    expect(cfg.sites.length).toBeGreaterThanOrEqual(8);
    expect(cfg.panels.every((p) => cfg.sites.some((s) => s.id === p.site))).toBe(true);
  });

  it('defaults to the embedded broker when mqtt names no broker', () => {
    const cfg = parseConfig('{}', 'empty.yaml');
    expect(cfg.mqtt.embedded).toEqual({
      port: 1883,
      host: '0.0.0.0',
      plain: true,
      maxFailedLoginsPerMinute: 10,
      panelRate: { perSecond: 50, burst: 200 },
    });
    expect(cfg.http.port).toBe(8080);
  });

  it.each([
    ['unknown key', 'http: { port: 1, colour: blue }', /http: unknown key\(s\) "colour"/],
    ['unknown top-level key', 'cameraz: []', /\(top level\): unknown key\(s\) "cameraz"/],
    ['wrong type', 'http: { port: "eighty" }', /http\.port: .*number/],
    ['port out of range', 'http: { port: 70000 }', /http\.port: /],
    [
      'both brokers',
      'mqtt: { url: "mqtt://x", embedded: { port: 1 } }',
      /either mqtt\.embedded or mqtt\.url/,
    ],
    [
      'short secret',
      'jurisdictions: [{id: c, name: C}]\nsites: [{id: s, name: S, jurisdiction: c, kind: shop, location: {lat: 1, lon: 1}}]\npanels: [{id: p, site: s, secret: short}]',
      /panels\.0\.secret: /,
    ],
    ['bad id', 'jurisdictions: [{ id: "a b", name: X }]', /jurisdictions\.0\.id: an id of letters/],
    [
      'camera with neither source',
      'jurisdictions: [{id: c, name: C}]\nsites: [{id: s, name: S, jurisdiction: c, kind: shop, location: {lat: 1, lon: 1}}]\ncameras: [{id: k, site: s}]',
      /exactly one of onvif or rtsp/,
    ],
    ['YAML syntax', 'http: [', /YAML: /],
  ])('rejects %s with the key path', (_name, yaml, message) => {
    expect(() => parseConfig(yaml, 'x.yaml')).toThrow(message);
  });

  it('names the file and every broken reference', () => {
    try {
      loadConfig(fixture('bad-references.yaml'));
      expect.unreachable('config should be rejected');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('bad-references.yaml');
      expect(msg).toContain('sites.0.jurisdiction: unknown jurisdiction "nowhere"');
      expect(msg).toContain('panels.0.site: unknown site "s2"');
      expect(msg).toContain('panels.0.zones.1.cameras.0: unknown camera "cam-x"');
    }
  });

  it('reports unknown keys from a file', () => {
    expect(() => loadConfig(fixture('bad-unknown-key.yaml'))).toThrow(
      /bad-unknown-key\.yaml is invalid:\n {2}http: unknown key\(s\) "colour"/,
    );
  });

  it('substitutes ${ENV} and ${ENV:-default}, and refuses a missing variable', () => {
    expect(substituteEnv('a: ${A}\nb: ${B:-two}', { A: 'one' }, 'f')).toBe('a: one\nb: two');
    expect(() => substituteEnv('a: ${MISSING_VAR}', {}, 'f.yaml')).toThrow(
      /f\.yaml is invalid:\n {2}environment variable \$\{MISSING_VAR\} is not set/,
    );
    const cfg = parseConfig('storage: { dataDir: "${DIR}" }', 'x.yaml', { DIR: '/var/lib/se' });
    expect(cfg.storage.dataDir).toBe('/var/lib/se');
  });
});
