// Leaflet, served from the installed package (/vendor/leaflet/, no CDN in a hall), with the base
// map from config (GET /api/map): the intranet's tile server, or with none the jurisdiction
// boundaries on a plain background. Area labels are placed greedily and dropped where they would
// overlap another label, so 北城's grid names never sit on top of each other.
import { optional } from './api.js';
import { h } from './dom.js';
import { hasString, t } from './i18n.js';

let leaflet;
let config;

function addOnce(tag, attrs) {
  const key = attrs.href ?? attrs.src;
  if (document.querySelector(`${tag}[${attrs.href ? 'href' : 'src'}="${key}"]`)) return undefined;
  const el = document.createElement(tag);
  Object.assign(el, attrs);
  document.head.append(el);
  return el;
}

function script(src) {
  return new Promise((resolve, reject) => {
    const el = addOnce('script', { src });
    if (!el) return resolve();
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`map: ${src} did not load`));
  });
}

/** Loads Leaflet and the marker-cluster plugin once; resolves with the global `L`. */
export function loadLeaflet() {
  leaflet ??= (async () => {
    for (const href of [
      '/vendor/leaflet/leaflet.css',
      '/vendor/leaflet.markercluster/MarkerCluster.css',
      '/vendor/leaflet.markercluster/MarkerCluster.Default.css',
    ])
      addOnce('link', { rel: 'stylesheet', href });
    await script('/vendor/leaflet/leaflet.js');
    // The plugin is a UMD script that extends the global L, so it loads after Leaflet.
    await script('/vendor/leaflet.markercluster/leaflet.markercluster.js');
    return window.L;
  })();
  return leaflet;
}

/** The map section of the configuration and the areas of the user's scope (cached per session). */
export async function mapConfig() {
  config ??= optional('/api/map').then((c) => c ?? { tiles: null, areas: [], minZoom: 3, maxZoom: 18 });
  return config;
}

export function resetMapConfig() {
  config = undefined;
}

/**
 * A Leaflet map in `el` with the configured base: tiles when configured, else the class `no-tiles`
 * (a plain background, see pages.css). Returns `{map, L, cfg}`.
 */
export async function createMap(el, { interactive = true } = {}) {
  const [L, cfg] = await Promise.all([loadLeaflet(), mapConfig()]);
  const map = L.map(el, {
    zoomControl: false,
    attributionControl: Boolean(cfg.tiles?.attribution),
    dragging: interactive,
    scrollWheelZoom: interactive,
    doubleClickZoom: interactive,
    keyboard: interactive,
    minZoom: cfg.minZoom ?? 3,
    maxZoom: cfg.maxZoom ?? 18,
    zoomSnap: 0.5,
  });
  if (interactive) L.control.zoom({ zoomInTitle: t('zoomIn'), zoomOutTitle: t('zoomOut') }).addTo(map);
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles.url, {
      maxZoom: cfg.tiles.maxZoom,
      minZoom: cfg.tiles.minZoom,
      ...(cfg.tiles.subdomains ? { subdomains: cfg.tiles.subdomains } : {}),
      attribution: cfg.tiles.attribution ?? '',
    }).addTo(map);
  } else el.classList.add('no-tiles');
  if (cfg.tiles?.attribution) map.attributionControl.setPrefix(false);
  L.control.scale({ metric: true, imperial: false, position: 'bottomleft' }).addTo(map);
  return { map, L, cfg };
}

/** Estimated label box in pixels: CJK characters are square, Latin ones about half as wide. */
function labelSize(text, px = 13) {
  const w = [...text].reduce((sum, ch) => sum + (ch.charCodeAt(0) > 255 ? px : px * 0.6), 0);
  return { w: w + 12, h: px + 8 };
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * The jurisdiction areas as outlined polygons (deeper levels thinner) with labels that appear only
 * where they fit: a label must fit inside its area on screen and must not overlap a label already
 * placed (the most specific areas are placed first). Re-placed on every zoom and move.
 */
export function areasLayer(L, map, areas, { highlight } = {}) {
  // Labels are placed by siteLabels (map-layers.js) after the site names, around what those took.
  const group = L.featureGroup();
  const labels = [];
  for (const a of areas.filter((x) => x.boundary)) {
    const poly = L.polygon(a.boundary, {
      className: `area area-d${Math.min(a.depth, 3)} area-${a.kind ?? 'node'} ${a.id === highlight ? 'area-hl' : ''}`,
      weight: a.depth <= 1 ? 2.5 : 1.5,
      fill: a.depth >= 1,
      fillOpacity: a.id === highlight ? 0.08 : 0.05,
      interactive: false,
    }).addTo(group);
    const kind = a.kind && hasString(`node_${a.kind}`) ? t(`node_${a.kind}`) : '';
    // outerHTML of a text node escapes the name; the span is centred on the point by CSS.
    const html = h('span', { title: kind }, a.name).outerHTML;
    const marker = L.marker(poly.getBounds().getCenter(), {
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: `area-label area-label-d${Math.min(a.depth, 3)}`, html, iconSize: null }),
    });
    labels.push({ area: a, poly, marker, size: labelSize(a.name, a.depth <= 1 ? 14 : 13) });
  }
  const place = (taken = []) => {
    const order = [...labels].sort((x, y) => y.area.depth - x.area.depth);
    for (const l of order) {
      const b = l.poly.getBounds();
      const nw = map.latLngToContainerPoint(b.getNorthWest());
      const se = map.latLngToContainerPoint(b.getSouthEast());
      const fits = se.x - nw.x > l.size.w + 8 && se.y - nw.y > l.size.h + 8;
      // The centre first; where a name or a marker is, the top or the bottom edge inside the area.
      const cx = (nw.x + se.x) / 2;
      const candidates = [(nw.y + se.y) / 2, nw.y + l.size.h / 2 + 4, se.y - l.size.h / 2 - 4].map((cy) => ({
        x: cx - l.size.w / 2,
        y: cy - l.size.h / 2,
        w: l.size.w,
        h: l.size.h,
      }));
      const box = fits ? candidates.find((c) => !taken.some((t2) => overlaps(t2, c))) : undefined;
      if (box) {
        taken.push(box);
        l.marker.setLatLng(map.containerPointToLatLng([box.x + box.w / 2, box.y + box.h / 2]));
        if (!group.hasLayer(l.marker)) l.marker.addTo(group);
      } else if (group.hasLayer(l.marker)) group.removeLayer(l.marker);
    }
  };
  group.placeLabels = (taken) => (map.hasLayer(group) ? place(taken) : undefined);
  return group;
}

/** Bounds that hold the given points and areas (for the first view). */
export function boundsOf(L, points, areas = []) {
  const latlngs = [
    ...points.filter(Boolean).map((p) => [p.lat, p.lon]),
    ...areas.flatMap((a) => a.boundary ?? (a.location ? [[a.location.lat, a.location.lon]] : [])),
  ];
  return latlngs.length > 0 ? L.latLngBounds(latlngs) : undefined;
}
