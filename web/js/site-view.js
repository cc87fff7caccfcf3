// A site's own page (role `site`, e.g. a shop owner): its panel state, recent alarms and a
// "test alarm" button. The server limits every list to the user's site; this page shows what it returns.

import { api } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtAge, fmtDateTime, t } from './i18n.js';
import { icon } from './icons.js';
import { liveTile } from './live.js';
import { loadPanels, siteName, state, subscribe } from './state.js';
import { incidentType, panelState, priorityBadge, stateChip } from './widgets.js';

export function mount(root) {
  const siteId = state.user.scope;
  const page = h('div', { class: 'page site-view', id: 'site-view' });
  root.append(page);
  // Tiles are made once and moved into each re-render, so a panel update never restarts video.
  const tiles = state.cameras
    .filter((c) => c.site === siteId)
    .slice(0, 2)
    .map((c) => liveTile(c));

  async function test(panelId, button) {
    button.disabled = true;
    try {
      await api(`/api/panels/${encodeURIComponent(panelId)}/command`, {
        method: 'POST',
        body: { command: 'test' },
      });
      toast(t('testSent'));
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  function render() {
    const site = state.sites.get(siteId);
    const panels = state.panelsBySite.get(siteId) ?? [];
    const incidents = [...state.incidents.values()]
      .filter((i) => i.site === siteId)
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
      .slice(0, 20);
    fill(
      page,
      h(
        'div',
        { class: 'site-grid' },
        h(
          'section',
          { class: 'card site-panel' },
          h('h2', { id: 'site-name' }, siteName(siteId)),
          h('div', { class: 'muted' }, site?.address ?? ''),
          h('h3', {}, t('siteTitle')),
          h('div', { class: 'big-panel' }, panelState(siteId, { long: true })),
          panels.length > 0
            ? panels.map((p) =>
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary big test-alarm',
                    dataset: { panel: p.id },
                    onclick: (e) => void test(p.id, e.currentTarget),
                  },
                  icon('siren'),
                  ` ${t('testAlarm')} · ${p.id}`,
                ),
              )
            : h(
                'button',
                { type: 'button', class: 'big test-alarm', disabled: true },
                icon('siren'),
                ` ${t('testAlarm')}`,
              ),
          h('h3', {}, t('contacts')),
          (site?.contacts ?? []).length > 0
            ? site.contacts.map((c) => h('div', {}, `${c.name} · ${c.phone}`))
            : h('div', { class: 'muted' }, t('noData')),
        ),
        h(
          'section',
          { class: 'card' },
          h('h3', {}, t('recentAlarms')),
          incidents.length === 0
            ? h('div', { class: 'muted' }, t('noIncidents'))
            : h(
                'table',
                { class: 'grid', id: 'site-incidents' },
                incidents.map((i) =>
                  h(
                    'tr',
                    {
                      class: 'selectable',
                      dataset: { id: i.id, site: i.site },
                      onclick: () => (location.hash = `#/incident/${i.id}`),
                    },
                    h('td', {}, priorityBadge(i.priority)),
                    h('td', {}, fmtDateTime(i.openedAt), h('div', { class: 'muted' }, fmtAge(i.openedAt))),
                    h('td', {}, incidentType(i)),
                    h('td', {}, stateChip(i.state)),
                  ),
                ),
              ),
          tiles.length > 0 ? h('h3', {}, t('cameras')) : null,
          h(
            'div',
            { class: 'tiles n2' },
            tiles.map((x) => x.el),
          ),
        ),
      ),
    );
  }

  render();
  void loadPanels().catch(() => undefined);
  const off = subscribe((kind) => {
    if (['incident', 'incidents', 'panels', 'reference'].includes(kind)) render();
  });
  return () => {
    off();
    for (const x of tiles) x.destroy();
  };
}
