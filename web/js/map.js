// Map of sites: the SVG map, a colour switch (open incidents / monthly rating) and a site list.
import { optional } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { drawMap, fitView } from './map-svg.js';
import { pushPref } from './prefs.js';
import { isOpen, jurisdictionName, state, subscribe } from './state.js';
import { priorityBadge, stateChip } from './widgets.js';

const COLOUR_KEY = 'sharpeyes.mapColour';

/** site → {count, priority} of its open incidents, from the live incident list. */
export function openBySite() {
  const m = new Map();
  for (const inc of state.incidents.values()) {
    if (!isOpen(inc) || inc.kind === 'maintenance') continue;
    const cur = m.get(inc.site) ?? { count: 0, priority: 9 };
    m.set(inc.site, { count: cur.count + 1, priority: Math.min(cur.priority, inc.priority) });
  }
  return m;
}

function monthNow() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

export function mount(root) {
  let colourBy = localStorage.getItem(COLOUR_KEY) === 'rating' ? 'rating' : 'incidents';
  let selected;
  const ratings = new Map();
  const mapBox = h('div', { class: 'map-box', id: 'map-box' });
  const side = h('aside', { class: 'map-side' });

  const sites = () => [...state.sites.values()].map((s) => ({ ...s, rating: ratings.get(s.id) ?? s.rating }));

  /** The bounds on screen; undefined = fit every site. Wheel zooms at the cursor, drag pans. */
  let view;
  let drawn;

  function drawOnly() {
    const open = openBySite();
    drawn = drawMap({
      sites: sites(),
      tree: state.tree,
      openBySite: open,
      colourBy,
      focus: selected,
      view,
      aspect: mapBox.clientWidth > 0 ? mapBox.clientWidth / Math.max(1, mapBox.clientHeight) : 16 / 9,
      width: Math.max(800, Math.min(1400, mapBox.clientWidth || 1000)),
      onSite: (id) => {
        if (justDragged) return;
        selected = id;
        render();
      },
      onCell: (_id, cellSites) => {
        if (justDragged) return;
        view = fitView(cellSites);
        drawOnly();
      },
    });
    fill(
      mapBox,
      drawn,
      h(
        'div',
        { class: 'map-tools' },
        h(
          'button',
          {
            type: 'button',
            id: 'map-fit',
            onclick: () => {
              view = undefined;
              drawOnly();
            },
          },
          t('fit'),
        ),
      ),
      h('div', { class: 'map-note muted' }, t('tileLayerNote')),
    );
  }

  /** Fractions (0–1) of the drawn map's box under a pointer event. */
  const at = (e) => {
    const r = drawn.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  };

  mapBox.addEventListener(
    'wheel',
    (e) => {
      if (!drawn) return;
      e.preventDefault();
      const [fx, fy] = at(e);
      const c = drawn.toLatLon(fx, fy);
      const v = drawn.view;
      const f = e.deltaY > 0 ? 1.25 : 0.8;
      view = {
        minLon: c.lon - (c.lon - v.minLon) * f,
        maxLon: c.lon + (v.maxLon - c.lon) * f,
        minLat: c.lat - (c.lat - v.minLat) * f,
        maxLat: c.lat + (v.maxLat - c.lat) * f,
      };
      drawOnly();
    },
    { passive: false },
  );
  let drag;
  // A drag ends with a click on whatever is under the pointer; that click must not select or zoom.
  let justDragged = false;
  mapBox.addEventListener('pointerdown', (e) => {
    if (drawn && e.button === 0) drag = { start: at(e), view: drawn.view, moved: false };
  });
  mapBox.addEventListener('pointermove', (e) => {
    if (!drag || (e.buttons & 1) === 0) return;
    const [fx, fy] = at(e);
    const dx = (fx - drag.start[0]) * (drag.view.maxLon - drag.view.minLon);
    const dy = (fy - drag.start[1]) * (drag.view.maxLat - drag.view.minLat);
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) === 0) return;
    drag.moved = true;
    view = {
      minLon: drag.view.minLon - dx,
      maxLon: drag.view.maxLon - dx,
      minLat: drag.view.minLat + dy,
      maxLat: drag.view.maxLat + dy,
    };
    drawOnly();
  });
  const onUp = () => {
    justDragged = Boolean(drag?.moved);
    drag = undefined;
  };
  window.addEventListener('pointerup', onUp);

  function render() {
    const open = openBySite();
    if (!state.available.sites || state.sites.size === 0) {
      fill(mapBox, h('div', { class: 'empty' }, t('noData')));
      drawn = undefined;
    } else drawOnly();
    const list = sites().sort(
      (a, b) => (open.get(b.id)?.count ?? 0) - (open.get(a.id)?.count ?? 0) || a.name.localeCompare(b.name),
    );
    fill(
      side,
      h(
        'div',
        { class: 'seg' },
        h('span', { class: 'muted' }, t('colourBy')),
        ['incidents', 'rating'].map((c) =>
          h(
            'button',
            {
              type: 'button',
              class: c === colourBy ? 'tab active' : 'tab',
              dataset: { colour: c },
              onclick: () => {
                colourBy = c;
                localStorage.setItem(COLOUR_KEY, c);
                pushPref('mapColour', c);
                render();
              },
            },
            t(c === 'incidents' ? 'byIncidents' : 'byRating'),
          ),
        ),
      ),
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
              onclick: () => {
                selected = s.id;
                render();
              },
            },
            h('td', {}, s.name),
            h('td', {}, String(open.get(s.id)?.count ?? 0)),
            h(
              'td',
              {},
              s.rating
                ? h('span', { class: `rating rating-${s.rating}` }, t(`rating${cap(s.rating)}`))
                : t('noData'),
            ),
          ),
        ),
      ),
      ...(selected ? [siteCard(selected)].filter(Boolean) : []),
    );
  }

  function legend() {
    const items =
      colourBy === 'rating'
        ? ['green', 'yellow', 'red'].map((r) => [`rating-${r}`, t(`rating${cap(r)}`)])
        : [
            ['legend-p1', 'P1'],
            ['legend-p2', 'P2'],
            ['legend-p3', 'P3'],
            ['legend-none', '0'],
          ];
    return h(
      'div',
      { class: 'legend' },
      items.map(([cls, label]) => h('span', {}, h('i', { class: `swatch ${cls}` }), label)),
    );
  }

  function siteCard(id) {
    const s = state.sites.get(id);
    if (!s) return null;
    const incidents = [...state.incidents.values()].filter((i) => i.site === id && isOpen(i));
    return h(
      'div',
      { class: 'card' },
      h('h3', {}, s.name),
      h('div', { class: 'muted' }, s.address ?? jurisdictionName(s.jurisdiction)),
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
  render();
  // Ratings from the supervisors' report, when that route exists; the site list may carry them too.
  void optional(`/api/reports/ratings?month=${monthNow()}`)
    .then((res) => {
      for (const r of res?.sites ?? []) if (r.id && r.rating) ratings.set(r.id, r.rating);
      if (ratings.size > 0) render();
    })
    .catch(() => undefined);
  const off = subscribe((kind) => {
    if (['incident', 'incidents', 'reference'].includes(kind)) render();
  });
  return () => {
    off();
    window.removeEventListener('pointerup', onUp);
  };
}

function cap(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
