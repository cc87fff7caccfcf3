/**
 * The test city of test/helpers/service.ts with what issue 4 needs on top: units at both stations,
 * cameras at both sites, and a grid level under north.
 */
export const API_CITY_YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: City 110
    kind: city
    children:
      - id: north
        name: North station
        kind: station
        children: [{ id: north-grid-1, name: North grid 1, kind: grid }]
      - id: south
        name: South station
        kind: station
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
# The cameras are never reachable: video loss waits an hour, so its tickets do not race the counts.
cameras:
  - { id: cam-shop, site: shop-1, rtsp: "rtsp://127.0.0.1:9/shop", videoLossSeconds: 3600 }
  - { id: cam-bank, site: bank-2, rtsp: "rtsp://127.0.0.1:9/bank", videoLossSeconds: 3600 }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 3600 # supervision stays quiet: these tests run past 42 s on a busy machine
    zones: { "1": { name: front door, cameras: [cam-shop] }, "2": { name: back door } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2, heartbeatSeconds: 3600 }
units:
  - { id: north-car-1, name: North car 1, jurisdiction: north }
  - { id: north-car-2, name: North car 2, jurisdiction: north, kind: station_team }
  - { id: south-car-1, name: South car 1, jurisdiction: south }
`;

/**
 * The API city, quiet: nothing changes by itself while a test probes it (no recording, no video-loss
 * or supervision troubles from the unreachable test cameras and silent panels), so "nothing stored"
 * can be checked exactly.
 */
export const QUIET_API_CITY_YAML = `${API_CITY_YAML.replace(
  'rtsp://127.0.0.1:9/shop" }',
  'rtsp://127.0.0.1:9/shop", videoLossSeconds: 3600 }',
).replace('rtsp://127.0.0.1:9/bank" }', 'rtsp://127.0.0.1:9/bank", videoLossSeconds: 3600 }')}
recording: { enabled: false }
`;
