import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';

const parse = (yaml: string) => parseConfig(yaml, 'map-test.yaml');

describe('config: map and boundaries', () => {
  it('defaults to no tiles, zoom 3–18', () => {
    expect(parse('').map).toEqual({ minZoom: 3, maxZoom: 18 });
  });

  it('takes a tile server with attribution, subdomains and the initial view', () => {
    const cfg = parse(
      'map: { tiles: "http://gis.intranet/{s}/tiles/{z}/{x}/{y}.png", subdomains: abc, attribution: 市局, maxZoom: 19, center: { lat: 39.33, lon: 112.43 }, zoom: 13 }\n',
    );
    expect(cfg.map).toEqual({
      tiles: 'http://gis.intranet/{s}/tiles/{z}/{x}/{y}.png',
      subdomains: 'abc',
      attribution: '市局',
      minZoom: 3,
      maxZoom: 19,
      center: { lat: 39.33, lon: 112.43 },
      zoom: 13,
    });
  });

  it.each([
    [
      'a tile URL without {x} and {y}',
      'map: { tiles: "http://gis/{z}.png" }',
      'map.tiles: a tile URL template',
    ],
    [
      'a tile URL that is not http',
      'map: { tiles: "ftp://gis/{z}/{x}/{y}.png" }',
      'map.tiles: a tile URL template',
    ],
    [
      'minZoom above maxZoom',
      'map: { minZoom: 12, maxZoom: 10 }',
      'map.minZoom: minZoom must not exceed maxZoom',
    ],
    ['an unknown key', 'map: { style: dark }', 'map: unknown key(s) "style"'],

    [
      'a boundary of two corners',
      'jurisdictions: [{ id: city, name: 市, boundary: [[39.3, 112.4], [39.4, 112.5]] }]',
      'jurisdictions.0.boundary',
    ],
    [
      'a boundary corner off the globe',
      'jurisdictions: [{ id: city, name: 市, boundary: [[39.3, 112.4], [139.4, 112.5], [39.4, 112.6]] }]',
      'jurisdictions.0.boundary.1.0',
    ],
    [
      'a unit at latitude 91',
      'jurisdictions: [{ id: city, name: 市 }]\nunits: [{ id: car, name: 车, jurisdiction: city, location: { lat: 91, lon: 1 } }]',
      'units.0.location.lat',
    ],
  ])('refuses %s, naming the key', (_what, yaml, path) => {
    expect(() => parse(`${yaml}\n`)).toThrow(path);
  });

  it('takes boundaries and unit locations', () => {
    const cfg = parse(`jurisdictions:
  - id: city
    name: 市
    location: { lat: 39.33, lon: 112.43 }
    boundary: [[39.3, 112.4], [39.4, 112.4], [39.4, 112.5]]
units: [{ id: car, name: 车, jurisdiction: city, location: { lat: 39.34, lon: 112.44 } }]
`);
    expect(cfg.jurisdictions[0]?.boundary).toHaveLength(3);
    expect(cfg.units[0]?.location).toEqual({ lat: 39.34, lon: 112.44 });
  });
});
