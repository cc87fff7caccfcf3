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
cameras:
  - { id: cam-shop, site: shop-1, rtsp: "rtsp://127.0.0.1:9/shop" }
  - { id: cam-bank, site: bank-2, rtsp: "rtsp://127.0.0.1:9/bank" }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 30
    zones: { "1": { name: front door, cameras: [cam-shop] }, "2": { name: back door } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2, heartbeatSeconds: 30 }
units:
  - { id: north-car-1, name: North car 1, jurisdiction: north }
  - { id: north-car-2, name: North car 2, jurisdiction: north, kind: station_team }
  - { id: south-car-1, name: South car 1, jurisdiction: south }
`;
