// The map's layers: sites, open incidents, monthly ratings and units, each a clustered group so
// that the sites of one street never pile up; a cluster wears the colour of its most urgent member.
import { h } from './dom.js';
import { t, tv } from './i18n.js';
import { icon } from './icons.js';
import { unitKind } from './names.js';

const RATING_ORDER = ['red', 'yellow', 'green'];
const html = (el) => el.outerHTML;

function clusterGroup(L, { className, worst }) {
  return L.markerClusterGroup({
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    maxClusterRadius: 48,
    iconCreateFunction: (cluster) => {
      const ms = cluster.getAllChildMarkers();
      const tone = worst(ms.map((m) => m.options.tone));
      const n = ms.reduce((sum, m) => sum + (m.options.count ?? 1), 0);
      return L.divIcon({
        className: `cluster ${className} tone-${tone}`,
        html: html(h('span', {}, String(n))),
        iconSize: L.point(40, 40),
      });
    },
  });
}

const worstPriority = (tones) => `p${Math.min(...tones.map((x) => Number(String(x).slice(1)) || 9))}`;
const worstRating = (tones) => RATING_ORDER.find((r) => tones.includes(r)) ?? 'none';

function tip(marker, text) {
  marker.bindTooltip(text, { direction: 'top', offset: [0, -10], className: 'map-tip' });
  return marker;
}

/** Every site as a small dot (name on hover), except those an incident marker already stands for. */
export function sitesLayer(L, sites, { skip = new Set(), onSite } = {}) {
  const group = clusterGroup(L, { className: 'cluster-sites', worst: () => 'site' });
  for (const s of sites) {
    if (!s.location || skip.has(s.id)) continue;
    const m = L.marker([s.location.lat, s.location.lon], {
      tone: 'site',
      site: s.id,
      icon: L.divIcon({
        className: 'site-marker',
        html: html(h('span', { class: `site-dot kind-${s.kind}`, dataset: { site: s.id } })),
        iconSize: L.point(14, 14),
      }),
    });
    tip(m, `${s.name} · ${tv('site', s.kind)}`).on('click', () => onSite?.(s.id));
    group.addLayer(m);
  }
  return group;
}

/** Open alarms per site: the priority badge, the count when more than one, pulsing while new. */
export function incidentsLayer(L, sites, openBySite, { onSite } = {}) {
  const group = clusterGroup(L, { className: 'cluster-incidents', worst: worstPriority });
  for (const s of sites) {
    const open = openBySite.get(s.id);
    if (!open || !s.location) continue;
    const m = L.marker([s.location.lat, s.location.lon], {
      tone: `p${open.priority}`,
      count: open.count,
      site: s.id,
      zIndexOffset: 1000 - open.priority * 100,
      icon: L.divIcon({
        className: 'incident-marker',
        html: html(
          h(
            'span',
            { class: `inc-pin p${open.priority} ${open.unacked ? 'unacked' : ''}`, dataset: { site: s.id } },
            `P${open.priority}`,
            open.count > 1 ? h('b', {}, String(open.count)) : null,
          ),
        ),
        iconSize: L.point(36, 24),
      }),
    });
    tip(m, `${s.name} · ${t('openIncidentsN', { n: open.count })}`).on('click', () => onSite?.(s.id));
    group.addLayer(m);
  }
  return group;
}

/** Each site in the colour of its monthly rating. */
export function ratingsLayer(L, sites, ratingOf, { onSite } = {}) {
  const group = clusterGroup(L, { className: 'cluster-ratings', worst: worstRating });
  for (const s of sites) {
    const rating = ratingOf(s);
    if (!s.location || !rating) continue;
    const m = L.marker([s.location.lat, s.location.lon], {
      tone: rating,
      site: s.id,
      icon: L.divIcon({
        className: 'rating-marker',
        html: html(h('span', { class: `rating-dot rating-${rating}`, dataset: { site: s.id } })),
        iconSize: L.point(16, 16),
      }),
    });
    tip(m, `${s.name} · ${t('rating')} ${t(`rating${rating.charAt(0).toUpperCase()}${rating.slice(1)}`)}`).on(
      'click',
      () => onSite?.(s.id),
    );
    group.addLayer(m);
  }
  return group;
}

/** Units at their base (config `location`, else their station's), coloured by what they are doing. */
export function unitsLayer(L, units, nodeLocation) {
  const group = L.featureGroup();
  for (const u of units) {
    const at = u.location ?? nodeLocation(u.jurisdiction);
    if (!at) continue;
    const m = L.marker([at.lat, at.lon], {
      icon: L.divIcon({
        className: 'unit-marker',
        html: html(
          h(
            'span',
            { class: `unit-pin unit-${u.status ?? 'available'}`, dataset: { unit: u.id } },
            icon('car'),
          ),
        ),
        iconSize: L.point(22, 22),
      }),
    });
    tip(m, `${u.name} · ${unitKind(u.kind)} · ${tv('unit', u.status ?? 'available')}`);
    group.addLayer(m);
  }
  return group;
}

const boxesOverlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Site names beside the markers that stand alone on screen (not in a cluster), placed greedily in
 * the order of `groups` (incidents first) and left out where a name would cover another name or a
 * marker: on a crowded street only the names that fit are written; the others show on hover.
 */
export function siteLabels(L, map, groups, siteName, { areas } = {}) {
  const layer = L.layerGroup().addTo(map);
  const place = () => {
    layer.clearLayers();
    const markers = [];
    const clusters = new Set();
    for (const g of groups()) {
      if (!g || !map.hasLayer(g)) continue;
      for (const m of g.getLayers()) {
        const shown = g.getVisibleParent ? g.getVisibleParent(m) : m;
        if (shown && shown !== m) clusters.add(shown);
        if (shown !== m) continue;
        const p = map.latLngToContainerPoint(m.getLatLng());
        markers.push({ m, p });
      }
    }
    const size = map.getSize();
    // Every marker's own square is taken before any name is placed.
    const half = (m) => (m.options.icon?.options.iconSize?.x ?? 24) / 2;
    const taken = markers.map(({ m, p }) => ({ x: p.x - half(m), y: p.y - 12, w: half(m) * 2, h: 24 }));
    // A cluster's circle is taken too: no name is written across it.
    for (const c of clusters) {
      const p = map.latLngToContainerPoint(c.getLatLng());
      taken.push({ x: p.x - 22, y: p.y - 22, w: 44, h: 44 });
    }

    const seen = new Set();
    for (const { m, p } of markers) {
      const id = m.options.site;
      if (!id || seen.has(id)) continue;
      const name = siteName(id);
      const w = [...name].reduce((sum, ch) => sum + (ch.charCodeAt(0) > 255 ? 14 : 8), 10);
      const gap = half(m) + 4;
      const box = { x: p.x + gap, y: p.y - 10, w, h: 20 };
      if (box.x + box.w > size.x || box.y < 0 || box.y + box.h > size.y) continue;
      if (taken.some((b) => boxesOverlap(b, box))) continue;
      taken.push(box);
      seen.add(id);
      L.marker(m.getLatLng(), {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: 'site-label',
          html: html(h('span', { style: `left:${gap}px` }, name)),
          iconSize: null,
        }),
      }).addTo(layer);
    }

    // The area names go where the site names and markers left room.

    areas?.()?.placeLabels?.(taken);
  };
  // Not on layeradd: adding the labels themselves would call this again, forever.
  let soon;
  const later = () => {
    clearTimeout(soon);
    soon = setTimeout(place, 0);
  };
  map.on('zoomend moveend overlayadd overlayremove baselayerchange', later);
  // A cluster group re-clusters after the zoom animation; names follow when it settles.
  for (const g of groups()) g?.on?.('animationend', later);
  layer.later = later;
  layer.place = place;
  return layer;
}
