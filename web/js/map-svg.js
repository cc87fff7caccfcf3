// The map drawn from configured coordinates as SVG (no tile server is reachable in the hall):
// a lat/lon graticule, a box per jurisdiction cell around its sites, and the sites coloured by open
// incidents or by the monthly rating. `g.tile-layer` is left empty for a tile layer when one is
// configured. Zoom and pan re-draw with a new `view`, so dots and labels keep their size on screen.
import { svg } from './dom.js';

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

const placedOf = (sites) => sites.filter((s) => s.location && Number.isFinite(s.location.lat));

/** Bounds around every site with a margin: the "fit" view. */
export function fitView(sites) {
  const placed = placedOf(sites);
  const lats = placed.map((s) => s.location.lat);
  const lons = placed.map((s) => s.location.lon);
  const v = {
    minLat: Math.min(...lats),
    maxLat: Math.max(...lats),
    minLon: Math.min(...lons),
    maxLon: Math.max(...lons),
  };
  const pad = Math.max(v.maxLat - v.minLat, v.maxLon - v.minLon, 0.004) * 0.22;
  return { minLat: v.minLat - pad, maxLat: v.maxLat + pad, minLon: v.minLon - pad, maxLon: v.maxLon + pad };
}

/** Widens the lat or lon range of a view to the container's shape, so nothing is distorted. */
function toAspect(view, aspect) {
  const v = { ...view };
  const k = Math.cos((((v.minLat + v.maxLat) / 2) * Math.PI) / 180);
  const spanX = (v.maxLon - v.minLon) * k;
  const spanY = v.maxLat - v.minLat;
  if (spanX / spanY < aspect) {
    const grow = (spanY * aspect - spanX) / k / 2;
    v.minLon -= grow;
    v.maxLon += grow;
  } else {
    const grow = (spanX / aspect - spanY) / 2;
    v.minLat -= grow;
    v.maxLat += grow;
  }
  return v;
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * @param opts.sites [{id,name,jurisdiction,location:{lat,lon},rating}]
 * @param opts.openBySite Map site → {count, priority}
 * @param opts.colourBy 'incidents' | 'rating'
 * @param opts.focus site id drawn larger (incident page)
 * @param opts.view {minLat,maxLat,minLon,maxLon}; default: fit every site
 * @param opts.width drawing units across; text sizes are in these units, so pass about the pixel width
 * @returns the <svg>, with `view` (the bounds drawn) and `toLatLon(fx, fy)` for fractions of its box
 */
export function drawMap({
  sites,
  tree = [],
  openBySite = new Map(),
  colourBy = 'incidents',
  focus,
  onSite,
  onCell,
  labels = true,
  aspect = 16 / 9,
  view,
  width: W = 1000,
}) {
  const placed = placedOf(sites);
  const nodes = flattenTree(tree);
  const v = toAspect(view ?? fitView(placed), aspect);
  const k = Math.cos((((v.minLat + v.maxLat) / 2) * Math.PI) / 180);
  const scale = W / ((v.maxLon - v.minLon) * k);
  const H = Math.round((v.maxLat - v.minLat) * scale);
  const x = (lon) => (lon - v.minLon) * k * scale;
  const y = (lat) => (v.maxLat - lat) * scale;

  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'map-svg',
    preserveAspectRatio: 'xMidYMid meet',
  });
  root.view = v;
  root.toLatLon = (fx, fy) => ({
    lon: v.minLon + fx * (v.maxLon - v.minLon),
    lat: v.maxLat - fy * (v.maxLat - v.minLat),
  });
  root.append(svg('rect', { x: 0, y: 0, width: W, height: H, class: 'map-bg' }));
  root.append(svg('g', { class: 'tile-layer' }));

  const grid = svg('g', { class: 'graticule' });
  const step = niceStep(Math.max(v.maxLat - v.minLat, v.maxLon - v.minLon));
  const digits = step < 0.01 ? 3 : 2;
  for (let lon = Math.ceil(v.minLon / step) * step; lon < v.maxLon; lon += step) {
    grid.append(svg('line', { x1: x(lon), x2: x(lon), y1: 0, y2: H }));
    grid.append(svg('text', { x: x(lon) + 3, y: H - 6 }, lon.toFixed(digits)));
  }
  for (let lat = Math.ceil(v.minLat / step) * step; lat < v.maxLat; lat += step) {
    grid.append(svg('line', { x1: 0, x2: W, y1: y(lat), y2: y(lat) }));
    grid.append(svg('text', { x: 4, y: y(lat) - 3 }, lat.toFixed(digits)));
  }
  root.append(grid);

  // Labels are placed greedily (focus and open sites first) and skipped where they would overlap.
  const taken = [];
  const place = (box) => {
    if (taken.some((b) => overlaps(b, box))) return false;
    taken.push(box);
    return true;
  };
  const textWidth = (s, size) =>
    [...s].reduce((w, ch) => w + (ch.charCodeAt(0) > 255 ? size : size * 0.55), 0);

  const order = [...placed].sort(
    (a, b) =>
      (b.id === focus) - (a.id === focus) ||
      (openBySite.get(b.id)?.count ?? 0) - (openBySite.get(a.id)?.count ?? 0),
  );
  // Dots first claim their own space, so no label is drawn over another site.
  for (const s of order) {
    // The pulse ring of a site with open incidents counts as taken too.
    const r = (s.id === focus ? 14 : 10) + (openBySite.get(s.id)?.count ? 8 : 0);
    taken.push({ x: x(s.location.lon) - r, y: y(s.location.lat) - r, w: 2 * r, h: 2 * r });
  }
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
  const cellLabels = svg('g', { class: 'cell-labels' });
  for (const [id, g] of [...groups].sort((a, b) => b[1].level - a[1].level)) {
    const xs = g.sites.map((s) => x(s.location.lon));
    const ys = g.sites.map((s) => y(s.location.lat));
    const p = g.level === 0 ? 34 : 58;
    const open = g.sites.reduce((n, s) => n + (openBySite.get(s.id)?.count ?? 0), 0);
    const x0 = Math.min(...xs) - p;
    const y0 = Math.min(...ys) - p;
    const rect = svg('rect', {
      x: x0,
      y: y0,
      width: Math.max(...xs) - Math.min(...xs) + 2 * p,
      height: Math.max(...ys) - Math.min(...ys) + 2 * p,
      rx: 10,
      class: `cell level-${g.level} ${open > 0 ? 'has-open' : ''}`,
      dataset: { jurisdiction: id },
    });
    if (onCell) rect.addEventListener('click', () => onCell(id, g.sites));
    cells.append(rect);
    const name = nodes.get(id)?.name ?? id;
    const size = g.level === 0 ? 13 : 14;
    const ly = y0 + (g.level === 0 ? 18 : -6);
    if (place({ x: x0 + 8, y: ly - size, w: textWidth(name, size), h: size + 2 }))
      cellLabels.append(svg('text', { x: x0 + 8, y: ly, class: `cell-label level-${g.level}` }, name));
  }
  root.append(cells);

  const dots = svg('g', { class: 'sites' });
  for (const s of order) {
    const cx = x(s.location.lon);
    const cy = y(s.location.lat);
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
    g.append(svg('title', {}, s.name));
    if (open?.count)
      g.append(svg('circle', { cx, cy, r: r + 8, class: 'pulse', stroke: PRIO[open.priority] }));
    g.append(svg('circle', { cx, cy, r, fill, class: 'dot' }));
    if (open?.count) g.append(svg('text', { x: cx, y: cy + 4, class: 'count' }, String(open.count)));
    if ((labels || s.id === focus) && place({ x: cx + r + 5, y: cy - 10, w: textWidth(s.name, 14), h: 18 }))
      g.append(svg('text', { x: cx + r + 5, y: cy + 5, class: 'site-label' }, s.name));
    if (onSite) g.addEventListener('click', () => onSite(s.id));
    dots.append(g);
  }
  root.append(cellLabels, dots);
  return root;
}
