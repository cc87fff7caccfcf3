// The map page: Leaflet with the configured base (tiles or the jurisdiction boundaries on a plain
// background), sites and open incidents as clustered layers, the monthly rating as an alternative
// site layer (fed by GET /api/reports/ratings), units at their bases, and a site list beside it.
import { optional } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { incidentsLayer, ratingsLayer, siteLabels, sitesLayer, unitsLayer } from './map-layers.js';
import { areasLayer, boundsOf, createMap } from './map-leaflet.js';
import { pushPref } from './prefs.js';
import { isOpen, jurisdictionName, siteName, state, subscribe } from './state.js';
import { canAct, priorityBadge, stateChip } from './widgets.js';
import { monthOf } from './zone.js';

const COLOUR_KEY = 'sharpeyes.mapColour';
const LAYERS_KEY = 'sharpeyes.mapLayers';
const OVERLAYS = ['incidents', 'areas', 'units'];

/** site → {count, priority, unacked} of its open alarms, from the live incident list. */
export function openBySite() {
  const m = new Map();
  for (const inc of state.incidents.values()) {
    if (!isOpen(inc) || inc.kind === 'maintenance') continue;
    const cur = m.get(inc.site) ?? { count: 0, priority: 9, unacked: false };
    m.set(inc.site, {
      count: cur.count + 1,
      priority: Math.min(cur.priority, inc.priority),
      unacked: cur.unacked || inc.state === 'new',
    });
  }
  return m;
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export function mount(root) {
  let base = localStorage.getItem(COLOUR_KEY) === 'rating' ? 'rating' : 'sites';
  const savedOverlays = localStorage.getItem(LAYERS_KEY);
  const overlaysOn = new Set(
    savedOverlays === null ? ['incidents', 'areas'] : savedOverlays.split(',').filter(Boolean),
  );
  let selected;
  let dead = false;
  const ratings = new Map();
  const mapEl = h('div', { class: 'map-canvas', id: 'map-canvas' });
  const mapBox = h('div', { class: 'map-box', id: 'map-box' }, mapEl);
  const side = h('aside', { class: 'map-side' });
  let ctx;
  const layers = {};

  const ratingOf = (s) => ratings.get(s.id) ?? s.rating;
  const sites = () => [...state.sites.values()];

  let control;
  let rebuilding = false;
  let openKey;

  /**
   * Rebuilds the layers whose content changed (incidents on every change; the site dots only when
   * the set of sites an incident marker stands for changes, since a city has thousands of them).
   */
  function rebuild({ all = false } = {}) {
    if (!ctx) return;
    const { L, map, cfg } = ctx;
    const open = openBySite();
    const pick = (id) => select(id, true);
    const nodeLocation = (id) => cfg.areas?.find((a) => a.id === id)?.location ?? undefined;
    const skip = overlaysOn.has('incidents') ? new Set(open.keys()) : new Set();
    const key = [...skip].sort().join(',');
    const next = {
      incidents: () => incidentsLayer(L, sites(), open, { onSite: pick }),
      units: () => unitsLayer(L, state.units, nodeLocation),
      ...(all || key !== openKey
        ? {
            sites: () => sitesLayer(L, sites(), { skip, onSite: pick }),
            rating: () => ratingsLayer(L, sites(), ratingOf, { onSite: pick }),
          }
        : {}),
    };
    openKey = key;
    // The layers control reports every add and remove as a user's choice: detach it while swapping.
    rebuilding = true;
    control?.remove();
    for (const [name, make] of Object.entries(next)) {
      if (layers[name]) map.removeLayer(layers[name]);
      layers[name] = make();
      if (name === base || overlaysOn.has(name)) layers[name].addTo(map);
    }
    control = L.control
      .layers(
        { [t('layerSites')]: layers.sites, [t('layerRatings')]: layers.rating },
        {
          [t('layerIncidents')]: layers.incidents,
          ...(layers.areas ? { [t('layerAreas')]: layers.areas } : {}),
          [t('layerUnits')]: layers.units,
        },
        { collapsed: false, position: 'topright' },
      )
      .addTo(map);
    rebuilding = false;
    labels ??= siteLabels(L, map, () => [layers.incidents, layers[base]], siteName, {
      areas: () => layers.areas,
    });
    for (const g of [layers.incidents, layers.sites, layers.rating]) g?.on('animationend', labels.later);
    labels.later();
  }
  let labels;

  function onLayerChange(e) {
    if (rebuilding) return;
    const name = Object.entries(layers).find(([, l]) => l === e.layer)?.[0];
    if (!name) return;
    if (e.type === 'baselayerchange') {
      base = name === 'rating' ? 'rating' : 'sites';
      localStorage.setItem(COLOUR_KEY, base === 'rating' ? 'rating' : 'incidents');
      pushPref('mapColour', base === 'rating' ? 'rating' : 'incidents');
    } else if (OVERLAYS.includes(name)) {
      if (e.type === 'overlayadd') overlaysOn.add(name);
      else overlaysOn.delete(name);
      localStorage.setItem(LAYERS_KEY, [...overlaysOn].join(','));
      pushPref('mapLayers', [...overlaysOn].join(','));
      // Site dots an incident marker stood for come back (or go) with the incidents layer.
      if (name === 'incidents') setTimeout(() => rebuild({ all: true }), 0);
    }
    renderSide();
  }

  function select(id, fromMap = false) {
    selected = id;
    const s = state.sites.get(id);
    if (ctx && s?.location && !fromMap)
      ctx.map.flyTo([s.location.lat, s.location.lon], Math.max(ctx.map.getZoom(), 16));
    renderSide();
  }

  function renderSide() {
    const open = openBySite();
    const list = sites().sort(
      (a, b) =>
        (open.get(b.id)?.count ?? 0) - (open.get(a.id)?.count ?? 0) || a.name.localeCompare(b.name, 'zh-CN'),
    );
    fill(
      side,
      legend(),
      h(
        'table',
        { class: 'grid site-list' },
        h('tr', {}, h('th', {}, t('site')), h('th', {}, t('openIncidents')), h('th', {}, t('rating'))),
        list.map((s) =>
          h(
            'tr',
            {
              class: `selectable ${s.id === selected ? 'selected' : ''}`,
              dataset: { site: s.id },
              onclick: () => select(s.id),
            },
            h(
              'td',
              {},
              s.name,
              h('div', { class: 'muted small' }, s.jurisdictionName ?? jurisdictionName(s.jurisdiction)),
            ),
            h('td', {}, String(open.get(s.id)?.count ?? 0)),
            h(
              'td',
              {},
              ratingOf(s)
                ? h('span', { class: `rating rating-${ratingOf(s)}` }, t(`rating${cap(ratingOf(s))}`))
                : t('noData'),
            ),
          ),
        ),
      ),
      selected ? siteCard(selected) : null,
    );
  }

  function legend() {
    const items =
      base === 'rating'
        ? ['green', 'yellow', 'red'].map((r) => [`rating-${r}`, t(`rating${cap(r)}`)])
        : [['legend-site', t('layerSites')]];
    if (overlaysOn.has('incidents'))
      items.push(['legend-p1', t('prioName1')], ['legend-p2', t('prioName2')], ['legend-p3', t('prioName3')]);
    if (overlaysOn.has('units')) items.push(['legend-unit', t('layerUnits')]);
    const drawn = ctx?.cfg.areas?.some((a) => a.boundary);
    const note =
      ctx && !ctx.cfg.tiles
        ? h('div', { class: 'map-note muted small' }, t(drawn ? 'noTilesNote' : 'noTilesNoAreas'))
        : null;
    return h(
      'div',
      { class: 'legend' },
      items.map(([cls, label]) => h('span', {}, h('i', { class: `swatch ${cls}` }), label)),
      note,
    );
  }

  function siteCard(id) {
    const s = state.sites.get(id);
    if (!s) return null;
    const incidents = [...state.incidents.values()].filter((i) => i.site === id && isOpen(i));
    return h(
      'div',
      { class: 'card', id: 'map-site-card' },
      h('h3', {}, s.name),
      h('div', { class: 'muted' }, s.address ?? s.jurisdictionName ?? jurisdictionName(s.jurisdiction)),
      (s.contacts ?? []).map((c) => h('div', {}, `${c.name} · ${c.phone}`)),
      incidents.map((i) =>
        h(
          'div',
          {},
          h('a', { href: `#/incident/${i.id}` }, priorityBadge(i.priority), ' ', stateChip(i.state)),
        ),
      ),
    );
  }

  root.append(h('div', { class: 'map-view' }, mapBox, side));
  renderSide();
  void createMap(mapEl).then((made) => {
    if (dead) return made.map.remove();
    ctx = made;
    const { L, map, cfg } = ctx;
    if (cfg.areas?.length > 0) {
      layers.areas = areasLayer(L, map, cfg.areas);
      if (overlaysOn.has('areas')) layers.areas.addTo(map);
    }
    const bounds = boundsOf(
      L,
      sites().map((s) => s.location),
      overlaysOn.has('areas') ? (cfg.areas ?? []) : [],
    );
    if (cfg.center && cfg.zoom !== null) map.setView([cfg.center.lat, cfg.center.lon], cfg.zoom);
    else if (bounds) map.fitBounds(bounds, { padding: [30, 30] });
    else map.setView([0, 0], 3);
    map.on('baselayerchange overlayadd overlayremove', onLayerChange);
    rebuild({ all: true });
    renderSide();
    mapEl.leafletMap = map; // for diagnostics and the browser tests, like video.livePlayer
    mapEl.dataset.ready = 'true';
  });
  // Ratings from the supervisors' report, for the desks that may read it (not an investigator); the
  // site list carries the current month's too.
  void (canAct() ? optional(`/api/reports/ratings?month=${monthOf(Date.now())}`) : Promise.resolve())
    .then((res) => {
      for (const r of res?.sites ?? []) if (r.id && r.rating) ratings.set(r.id, r.rating);
      if (ratings.size > 0) {
        rebuild({ all: true });
        renderSide();
      }
    })
    .catch((err) => console.warn('console: ratings not available for the map', err));
  const off = subscribe((kind) => {
    if (['incident', 'incidents', 'reference'].includes(kind)) {
      rebuild({ all: kind === 'reference' });
      renderSide();
    }
  });
  // The container's size changes with the window; Leaflet must be told.
  const resize = new ResizeObserver(() => ctx?.map.invalidateSize());
  resize.observe(mapBox);
  return () => {
    dead = true;
    off();
    resize.disconnect();
    ctx?.map.remove();
  };
}
