// Map of sites: the SVG map, a colour switch (open incidents / monthly rating) and a site list.
import { optional } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { drawMap } from './map-svg.js';
import { isOpen, state, subscribe } from './state.js';
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

  function render() {
    const open = openBySite();
    if (!state.available.sites || state.sites.size === 0) {
      fill(mapBox, h('div', { class: 'empty' }, t('noData')));
    } else {
      fill(
        mapBox,
        drawMap({
          sites: sites(),
          tree: state.tree,
          openBySite: open,
          colourBy,
          focus: selected,
          aspect: mapBox.clientWidth > 0 ? mapBox.clientWidth / Math.max(1, mapBox.clientHeight) : 16 / 9,
          onSite: (id) => {
            selected = id;
            render();
          },
        }),
        h('div', { class: 'map-note muted' }, t('tileLayerNote')),
      );
    }
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
      h('div', { class: 'muted' }, s.address ?? s.jurisdiction),
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
      for (const r of res?.ratings ?? []) if (r.site && r.rating) ratings.set(r.site, r.rating);
      if (ratings.size > 0) render();
    })
    .catch(() => undefined);
  const off = subscribe((kind) => {
    if (['incident', 'incidents', 'reference'].includes(kind)) render();
  });
  return off;
}

function cap(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
