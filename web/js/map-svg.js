// The map drawn from configured coordinates as SVG (no tile server is reachable in the hall):
// a lat/lon graticule, a box per jurisdiction cell around its sites, and the sites coloured by open
// incidents or by the monthly rating. `g.tile-layer` is left empty for a tile layer when one is configured.
import { svg } from './dom.js';

const W = 1000;
const RATING = { green: '#2fbf71', yellow: '#f2c94c', red: '#e5383b' };
const PRIO = { 1: '#e5383b', 2: '#f28c28', 3: '#f2c94c', 4: '#8a94a6' };

export function flattenTree(roots) {
  const nodes = new Map();
  const walk = (list, parent, depth) => {
    for (const n of list ?? []) {
      nodes.set(n.id, { ...n, parent, depth });
      walk(n.children, n.id, depth + 1);
    }
  };
  walk(roots, undefined, 0);
  return nodes;
}

function niceStep(span) {
  const steps = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
  return steps.find((s) => span / s <= 10) ?? 10;
}

/**
 * @param opts.sites [{id,name,jurisdiction,location:{lat,lon},rating}]
 * @param opts.openBySite Map site → {count, priority}
 * @param opts.colourBy 'incidents' | 'rating'
 * @param opts.focus site id drawn larger (incident page)
 */
export function drawMap({
  sites,
  tree = [],
  openBySite = new Map(),
  colourBy = 'incidents',
  focus,
  onSite,
  labels = true,
  aspect = 16 / 9,
}) {
  const placed = sites.filter((s) => s.location && Number.isFinite(s.location.lat));
  const nodes = flattenTree(tree);
  const lats = placed.map((s) => s.location.lat);
  const lons = placed.map((s) => s.location.lon);
  let [minLat, maxLat, minLon, maxLon] = [
    Math.min(...lats),
    Math.max(...lats),
    Math.min(...lons),
    Math.max(...lons),
  ];
  const pad = Math.max(maxLat - minLat, maxLon - minLon, 0.004) * 0.22;
  minLat -= pad;
  maxLat += pad;
  minLon -= pad;
  maxLon += pad;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  // Widen the lat or lon range to the container's shape so the map fills it without distortion.
  const spanX = (maxLon - minLon) * k;
  const spanY = maxLat - minLat;
  if (spanX / spanY < aspect) {
    const grow = (spanY * aspect - spanX) / k / 2;
    minLon -= grow;
    maxLon += grow;
  } else {
    const grow = (spanX / aspect - spanY) / 2;
    minLat -= grow;
    maxLat += grow;
  }
  const scale = W / ((maxLon - minLon) * k);
  const H = Math.round((maxLat - minLat) * scale);
  const x = (lon) => (lon - minLon) * k * scale;
  const y = (lat) => (maxLat - lat) * scale;

  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'map-svg',
    preserveAspectRatio: 'xMidYMid meet',
  });
  root.append(svg('rect', { x: 0, y: 0, width: W, height: H, class: 'map-bg' }));
  root.append(svg('g', { class: 'tile-layer' }));

  const grid = svg('g', { class: 'graticule' });
  const step = niceStep(Math.max(maxLat - minLat, maxLon - minLon));
  for (let lon = Math.ceil(minLon / step) * step; lon < maxLon; lon += step) {
    grid.append(svg('line', { x1: x(lon), x2: x(lon), y1: 0, y2: H }));
    grid.append(svg('text', { x: x(lon) + 3, y: H - 6 }, lon.toFixed(3)));
  }
  for (let lat = Math.ceil(minLat / step) * step; lat < maxLat; lat += step) {
    grid.append(svg('line', { x1: 0, x2: W, y1: y(lat), y2: y(lat) }));
    grid.append(svg('text', { x: 4, y: y(lat) - 3 }, lat.toFixed(3)));
  }
  root.append(grid);

  // Jurisdiction cells: the sites' own nodes (grids) and their parents (stations), as padded boxes.
  const groups = new Map();
  for (const s of placed) {
    for (const [level, id] of [
      [0, s.jurisdiction],
      [1, nodes.get(s.jurisdiction)?.parent],
    ]) {
      if (!id) continue;
      const g = groups.get(id) ?? { level, sites: [] };
      g.sites.push(s);
      groups.set(id, g);
    }
  }
  const cells = svg('g', { class: 'cells' });
  for (const [id, g] of [...groups].sort((a, b) => b[1].level - a[1].level)) {
    const xs = g.sites.map((s) => x(s.location.lon));
    const ys = g.sites.map((s) => y(s.location.lat));
    const p = g.level === 0 ? 34 : 58;
    const open = g.sites.reduce((n, s) => n + (openBySite.get(s.id)?.count ?? 0), 0);
    const x0 = Math.min(...xs) - p;
    const y0 = Math.min(...ys) - p;
    cells.append(
      svg('rect', {
        x: x0,
        y: y0,
        width: Math.max(...xs) - Math.min(...xs) + 2 * p,
        height: Math.max(...ys) - Math.min(...ys) + 2 * p,
        rx: 10,
        class: `cell level-${g.level} ${open > 0 ? 'has-open' : ''}`,
        dataset: { jurisdiction: id },
      }),
      svg(
        'text',
        { x: x0 + 8, y: y0 + (g.level === 0 ? 18 : -6), class: `cell-label level-${g.level}` },
        nodes.get(id)?.name ?? id,
      ),
    );
  }
  root.append(cells);

  const dots = svg('g', { class: 'sites' });
  for (const s of placed) {
    const open = openBySite.get(s.id);
    const fill =
      colourBy === 'rating'
        ? (RATING[s.rating] ?? '#5b6678')
        : open && open.count > 0
          ? PRIO[open.priority]
          : '#3d7bd9';
    const r = s.id === focus ? 14 : 10;
    const g = svg('g', {
      class: `site ${open?.count ? 'open' : ''} ${s.id === focus ? 'focus' : ''}`,
      dataset: { site: s.id },
    });
    if (open?.count)
      g.append(
        svg('circle', {
          cx: x(s.location.lon),
          cy: y(s.location.lat),
          r: r + 8,
          class: 'pulse',
          stroke: PRIO[open.priority],
        }),
      );
    g.append(svg('circle', { cx: x(s.location.lon), cy: y(s.location.lat), r, fill, class: 'dot' }));
    if (open?.count)
      g.append(
        svg('text', { x: x(s.location.lon), y: y(s.location.lat) + 4, class: 'count' }, String(open.count)),
      );
    if (labels || s.id === focus)
      g.append(
        svg('text', { x: x(s.location.lon) + r + 5, y: y(s.location.lat) + 5, class: 'site-label' }, s.name),
      );
    if (onSite) g.addEventListener('click', () => onSite(s.id));
    dots.append(g);
  }
  root.append(dots);
  return root;
}
