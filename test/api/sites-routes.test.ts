import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from '../core/core-fixture.js';
import { districtYaml, homeId } from '../helpers/district.js';
import { loopWatch } from '../helpers/loop-watch.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

/** The console city's units with positions: distances and the own-station order are checkable. */
const YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: 朔州市110指挥中心
    kind: city
    children:
      - id: north
        name: 北城派出所
        kind: station
        location: { lat: 39.3340, lon: 112.4300 }
        children: [{ id: north-grid-1, name: 北城一网格, kind: grid }]
      - id: south
        name: 南城派出所
        kind: station
        location: { lat: 39.3220, lon: 112.4380 }
sites:
  - { id: shop-1, name: 鑫源金店, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.3352, lon: 112.4281 } }
  - { id: bank-2, name: 南城储蓄所, jurisdiction: south, kind: bank, location: { lat: 39.3203, lon: 112.4355 } }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    zones: { "1": { name: 前门 }, "2": { name: 后门 } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2 }
units:
  - { id: car-n1, name: 北城巡逻1车, jurisdiction: north, location: { lat: 39.3358, lon: 112.4275 } }
  - { id: team-n, name: 北城派出所值班组, kind: station_team, jurisdiction: north }
  - { id: car-s1, name: 南城巡逻1车, jurisdiction: south, location: { lat: 39.3352, lon: 112.4290 } }
`;

type Unit = { id: string; own?: boolean; distanceM?: number | null; status: string; incident?: string };

describe('sites and units for the console', () => {
  let svc: TestService;
  let city: string;
  let shopIncident: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: YAML });
    city = await svc.login('op-city', 'operator', 'city');
    shopIncident = (
      await svc.svc.need('core').ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }))
    ).incident!;
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('names each site’s place and zones, so no page shows grid or panel ids', async () => {
    const { body } = await api<{ sites: Record<string, unknown>[] }>(`${svc.httpUrl}/api/sites`, city);
    expect(body.sites.find((s) => s['id'] === 'shop-1')).toMatchObject({
      jurisdictionName: '北城一网格',
      jurisdictionPath: [
        { id: 'city', name: '朔州市110指挥中心' },
        { id: 'north', name: '北城派出所' },
        { id: 'north-grid-1', name: '北城一网格' },
      ],
      zones: [
        { panel: 'panel-1', zone: '1', name: '前门' },
        { panel: 'panel-1', zone: '2', name: '后门' },
      ],
    });
  });

  it('ranks units for an incident: own station first even when another station’s car is nearer', async () => {
    const { body } = await api<{ units: Unit[] }>(`${svc.httpUrl}/api/units?incident=${shopIncident}`, city);
    expect(body.units.map((u) => [u.id, u.own, u.distanceM])).toEqual([
      ['car-n1', true, 84],
      ['team-n', true, 211],
      ['car-s1', false, 77],
    ]);
    // The same order by site; and without either, the plain list (no ranking fields).
    const bySite = await api<{ units: Unit[] }>(`${svc.httpUrl}/api/units?site=shop-1`, city);
    expect(bySite.body.units.map((u) => u.id)).toEqual(['car-n1', 'team-n', 'car-s1']);
    const plain = await api<{ units: Unit[] }>(`${svc.httpUrl}/api/units`, city);
    expect(plain.body.units.every((u) => u.own === undefined)).toBe(true);
  });

  it.each([
    ['an incident outside the desk’s scope', 'south', (id: string) => `incident=${id}`, 404],
    ['a site outside the desk’s scope', 'south', () => 'site=shop-1', 404],
    ['an unknown key', 'city', () => 'near=shop-1', 400],
  ])('refuses %s', async (_what, scope, query, status) => {
    const token = await svc.login(`units-${scope}`, 'operator', scope);
    expect((await api(`${svc.httpUrl}/api/units?${query(shopIncident)}`, token)).status).toBe(status);
  });

  it('tells a shop owner the names of the units sent to them, and nothing of the roster', async () => {
    const owner = await svc.login('owner-shop', 'site', 'shop-1');
    expect((await api<{ units: unknown[] }>(`${svc.httpUrl}/api/units`, owner)).body.units).toEqual([]);
    await svc.svc.need('core').transition(shopIncident, 'acknowledged', 'op-city');
    await svc.svc.need('core').dispatch(shopIncident, 'op-city', { unit: 'car-n1' });
    expect((await api<{ units: unknown[] }>(`${svc.httpUrl}/api/units`, owner)).body.units).toEqual([
      { id: 'car-n1', name: '北城巡逻1车', kind: 'patrol_car' },
    ]);
    const busy = await api<{ units: Unit[] }>(`${svc.httpUrl}/api/units?incident=${shopIncident}`, city);
    expect(busy.body.units.find((u) => u.id === 'car-n1')).toMatchObject({
      status: 'dispatched',
      incident: shopIncident,
    });
  });

  it('lists a site’s test signals with the time the centre received them, scoped', async () => {
    const test = ev('test', { site: 'shop-1', device: 'panel-1', cid: 'E601' });
    await svc.svc.need('core').ingest(test);
    const owner = await svc.login('owner-shop', 'site', 'shop-1');
    const res = await api<{ signals: { key: string; device: string; receivedAt: string }[] }>(
      `${svc.httpUrl}/api/sites/shop-1/signals?type=test`,
      owner,
    );
    expect(res.body.signals).toEqual([
      expect.objectContaining({ key: test.key, device: 'panel-1', receivedAt: test.receivedAt }),
    ]);
    const bank = await svc.login('owner-bank', 'site', 'bank-2');
    expect((await api(`${svc.httpUrl}/api/sites/shop-1/signals`, bank)).status).toBe(404);
    expect((await api(`${svc.httpUrl}/api/sites/shop-1/signals?type=panic`, owner)).status).toBe(400);
  });
});

describe('a district’s sites beside the alarm path', () => {
  const HOMES = 1_000;
  let svc: TestService;
  beforeAll(async () => {
    const city = readFileSync(
      join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
      'utf8',
    );
    // Each home's alarm phone, with the zone its owner named.
    svc = await startTestService({ yaml: districtYaml(city, HOMES, { phones: true }) });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('lists a thousand homes with their zones, built a slice at a time with the event loop turning between', async () => {
    const token = await svc.login('sup-district', 'supervisor', 'city');
    // Each site's view names its place (the tree's nodes): counting those reads counts the views built.
    const tree = svc.svc.need('dir').tree;
    const get = tree.get.bind(tree);
    let reads = 0;
    tree.get = (id: string) => {
      reads++;
      return get(id);
    };
    try {
      const watch = loopWatch(() => reads);
      const res = await api<{
        sites: { id: string; zones: { panel: string; zone: string; name: string }[] }[];
      }>(`${svc.httpUrl}/api/sites`, token);
      const stretches = watch.stop();
      expect(res.status).toBe(200);
      const homes = res.body.sites.filter((s) => s.id.startsWith('home-'));
      expect(homes).toHaveLength(HOMES);
      expect(homes.find((s) => s.id === homeId(321))?.zones).toEqual([
        { panel: 'phone-321', zone: '1', name: '入户门' },
      ]);
      // Built in one stretch, the list held the alarm thread for every home at once.
      expect(stretches.length).toBeGreaterThanOrEqual(5);
    } finally {
      tree.get = get;
    }
  });
});
