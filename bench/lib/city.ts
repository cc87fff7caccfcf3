/**
 * A city of `n` sites, one panel each, spread over 20 grid cells under one station: the load the
 * panel benchmarks run against. Secrets are `secret-{i}-xyz`; heartbeats are long so supervision
 * stays quiet while we measure.
 */
export function cityYaml(n: number): string {
  const sites: string[] = [];
  const panels: string[] = [];
  for (let i = 0; i < n; i++) {
    sites.push(
      `  - { id: s${i}, name: Site ${i}, jurisdiction: g${i % 20}, kind: shop, location: { lat: 39.3, lon: 112.4 } }`,
    );
    panels.push(`  - { id: p${i}, site: s${i}, secret: secret-${i}-xyz, heartbeatSeconds: 3600 }`);
  }
  const grids = Array.from({ length: 20 }, (_, g) => `          - { id: g${g}, name: Grid ${g} }`).join('\n');
  return `http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: City
    children:
      - id: station
        name: Station
        children:
${grids}
sites:
${sites.join('\n')}
panels:
${panels.join('\n')}
`;
}
