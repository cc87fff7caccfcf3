import { keyFromHex } from '../../drivers/sia-dc09/crypto.js';
import { Dc09Dialler, type DiallerOptions } from '../../drivers/sia-dc09/dialler.js';
import type { Dc09Part } from '../../src/panels/dc09-module.js';
import { metricSum, type TestService } from '../helpers/service.js';

export const DC09_KEY = '2B7E151628AED2A6ABF7158809CF4F3C';

/**
 * The test city with a DC-09 receiver: panel-1 speaks MQTT and DC-09 (account 1234 on line 1),
 * panel-2 only encrypted DC-09 (account AB12), panel-3 only DC-09 with two field quirks (local time
 * +08:00, binary CRC). The duplicate window is short so a test can outlast it.
 */
export function dc09CityYaml(
  opts: { heartbeatSeconds?: number; duplicateWindowSeconds?: number } = {},
): string {
  return `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
dc09: { host: 127.0.0.1, port: 0, duplicateWindowSeconds: ${opts.duplicateWindowSeconds ?? 2} }
jurisdictions:
  - id: city
    name: City 110
    children:
      - id: north
        name: North station
        children: [{ id: north-grid-1, name: North grid 1 }]
      - id: south
        name: South station
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
  - { id: school-3, name: School Three, jurisdiction: north, kind: school, location: { lat: 39.34, lon: 112.42 } }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 30
    zones: { "1": { name: front door }, "2": { name: back door } }
    dc09: { account: "1234", line: "1" }
  - { id: panel-2, site: bank-2, heartbeatSeconds: ${opts.heartbeatSeconds ?? 30}, dc09: { account: ab12, key: "${DC09_KEY}" } }
  - id: panel-3
    site: school-3
    heartbeatSeconds: ${opts.heartbeatSeconds ?? 30}
    dc09: { account: "5678", localTimeOffset: "+08:00", binaryCrc: true }
`;
}

export function dc09Port(svc: TestService): number {
  return svc.svc.part<Dc09Part>('dc09').port;
}

/** A dialler for one of the city's panels. */
export function dialler(
  svc: TestService,
  panel: 'panel-1' | 'panel-2' | 'panel-3',
  o: Partial<DiallerOptions> = {},
): Dc09Dialler {
  const base: Record<typeof panel, Partial<DiallerOptions>> = {
    'panel-1': { account: '1234', line: '1' },
    'panel-2': { account: 'AB12', key: keyFromHex(DC09_KEY) },
    'panel-3': { account: '5678', clockOffsetMinutes: 480, form: 'binary' },
  };
  return new Dc09Dialler({
    host: '127.0.0.1',
    port: dc09Port(svc),
    account: '0',
    timeoutMs: 5000,
    ...base[panel],
    ...o,
  });
}

/** Sums a Prometheus counter's samples whose labels contain every `labels` pair. */
export function metric(svc: TestService, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSum(svc.httpUrl, name, labels);
}
