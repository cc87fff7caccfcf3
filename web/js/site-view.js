// A site's own page (role `site`, e.g. a shop owner): armed or not, the police's state of their
// alarm in plain words, the test alarm followed until the centre has received it, troubles with
// what they mean, their cameras whole. The server limits every list to the user's own site.
import { optional } from './api.js';
import { wantDetails } from './details.js';
import { fill, h, toast } from './dom.js';
import { fmtAge, fmtDateTime, t } from './i18n.js';
import { icon } from './icons.js';
import { liveTile } from './live.js';
import { panelLabel } from './names.js';
import { siteRatingCard } from './site-rating-card.js';
import { policeWords, troubleExplained } from './site-status.js';
import { fmtClock, runTest, testLines } from './site-test.js';
import { isOpen, loadPanels, loadUnits, siteName, state, subscribe } from './state.js';
import { armedText, incidentType, panelState, priorityBadge, stateChip } from './widgets.js';

const unitName = (id) => state.units.find((u) => u.id === id)?.name ?? t('police_someUnit');

export function mount(root) {
  const siteId = state.user.scope;
  const page = h('div', { class: 'page site-view', id: 'site-view' });
  root.append(page);
  let dead = false;
  let testing;
  let steps = [];
  let lastTest;
  // Tiles are made once and moved into each re-render, so a panel update never restarts video.
  const tiles = state.cameras.filter((c) => c.site === siteId).map((c) => liveTile(c));
  const rating = siteRatingCard(siteId); // issue 19: the site's own monthly rating

  async function test(panelId) {
    if (testing) return;
    testing = panelId;
    steps = [];
    render();
    try {
      steps = await runTest(
        siteId,
        panelId,
        (lines) => {
          steps = lines;
          render();
        },
        { isDead: () => dead },
      );
      void loadLastTest();
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      testing = undefined;
      if (!dead) render();
    }
  }

  async function loadLastTest() {
    const res = await optional(`/api/sites/${encodeURIComponent(siteId)}/signals?type=test&limit=1`).catch(
      () => undefined,
    );
    lastTest = res?.signals?.[0];
    if (!dead) render();
  }

  function armedLine(site) {
    const a = site?.armed;
    const panels = state.panelsBySite.get(siteId) ?? [];
    const fromPanel = panels.find((p) => p.armed !== null && p.armed !== undefined)?.armed;
    const armed = fromPanel ?? (a ? (a.armed ? (a.mode ?? true) : 'disarmed') : undefined);
    if (armed === undefined) return h('div', { class: 'armed-big unknown' }, t('armedUnknown'));
    const on = armed && armed !== 'disarmed';
    return h(
      'div',
      { class: `armed-big ${on ? 'yes' : 'no'}`, id: 'site-armed' },
      h('b', {}, on ? armedText(armed) : t('disarmedNow')),
      a?.changedAt
        ? h('span', { class: 'muted' }, ` ${t('since', { time: fmtDateTime(a.changedAt) })}`)
        : null,
    );
  }

  function policeCard(incidents) {
    const alarms = incidents.filter((i) => i.kind !== 'maintenance');
    const current = alarms.find(isOpen) ?? alarms[0];
    if (!current) return h('div', { class: 'police-line calm', id: 'police-line' }, t('policeNothing'));
    return h(
      'a',
      {
        class: `police-line ${isOpen(current) ? `open p${current.priority}` : 'closed'}`,
        id: 'police-line',
        href: `#/incident/${current.id}`,
      },
      h('b', {}, policeWords(current, unitName)),
      h('span', { class: 'muted' }, `${incidentType(current)} · ${fmtDateTime(current.openedAt)}`),
    );
  }

  function row(i) {
    const trouble = i.kind === 'maintenance' ? troubleExplained(i) : undefined;
    return h(
      'tr',
      {
        class: 'selectable',
        dataset: { id: i.id, site: i.site, kind: i.kind },
        onclick: () => (location.hash = `#/incident/${i.id}`),
      },
      h('td', {}, priorityBadge(i.priority)),
      h('td', {}, fmtDateTime(i.openedAt), h('div', { class: 'muted' }, fmtAge(i.openedAt))),
      h(
        'td',
        {},
        h('b', {}, trouble ? trouble.what : incidentType(i)),
        trouble ? h('div', { class: 'muted small advice' }, trouble.advice) : null,
      ),
      h(
        'td',
        {},
        trouble ? stateChip(i.state) : h('span', { class: 'police-small' }, policeWords(i, unitName)),
      ),
    );
  }

  function render() {
    const site = state.sites.get(siteId);
    const panels = state.panelsBySite.get(siteId) ?? [];
    const incidents = [...state.incidents.values()]
      .filter((i) => i.site === siteId)
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
      .slice(0, 30);
    wantDetails(incidents);
    const place = (site?.jurisdictionPath ?? [])
      .slice(1)
      .map((n) => n.name)
      .join(' · ');
    fill(
      page,
      h(
        'div',
        { class: 'site-grid' },
        h(
          'section',
          { class: 'card site-panel' },
          h('h2', { id: 'site-name' }, siteName(siteId)),
          h('div', { class: 'muted' }, [site?.address, place].filter(Boolean).join(' · ')),
          armedLine(site),
          h('h3', {}, t('policeState')),
          policeCard(incidents),
          h('h3', {}, t('siteTitle')),
          h('div', { class: 'big-panel' }, panelState(siteId, { long: true })),
          panels.map((p) =>
            h(
              'button',
              {
                type: 'button',
                class: 'primary big test-alarm',
                dataset: { panel: p.id },
                disabled: Boolean(testing),
                onclick: () => void test(p.id),
              },
              icon('siren'),
              ` ${t('testAlarm')}${panels.length > 1 ? ` · ${panelLabel(p.id)}` : ''}`,
            ),
          ),
          steps.length > 0 ? testLines(steps) : null,
          lastTest && !testing
            ? h(
                'div',
                { class: 'muted small', id: 'last-test' },
                t('lastTest', { time: `${fmtDateTime(lastTest.receivedAt)}` }),
              )
            : null,
          h('h3', {}, t('contacts')),
          (site?.contacts ?? []).length > 0
            ? site.contacts.map((c) => h('div', {}, `${c.name} · ${c.phone}`))
            : h('div', { class: 'muted' }, t('noData')),
          h('h3', {}, t('rpRatings')),
          rating,
        ),
        h(
          'section',
          { class: 'card site-main' },
          tiles.length > 0 ? h('h3', {}, t('ourCameras')) : null,
          tiles.length > 0
            ? h(
                'div',
                { class: `site-tiles n${Math.min(tiles.length, 4)}` },
                tiles.map((x) => x.el),
              )
            : null,
          h('h3', {}, t('recentAlarms')),
          incidents.length === 0
            ? h('div', { class: 'muted' }, t('noIncidentsSite'))
            : h('table', { class: 'grid', id: 'site-incidents' }, incidents.map(row)),
        ),
      ),
    );
  }

  render();
  void loadPanels().catch((err) => console.warn('console: panels', err));
  void loadLastTest();
  const off = subscribe((kind, payload) => {
    // A unit newly sent to this site: fetch its name before the line says "已派警".
    if (kind === 'incident' && (payload.units ?? []).some((u) => !state.units.some((x) => x.id === u.unit)))
      void loadUnits().catch((err) => console.warn('console: units', err));
    if (['incident', 'incidents', 'panels', 'reference', 'details'].includes(kind)) render();
  });
  const clock = setInterval(render, 30_000);
  return () => {
    dead = true;
    off();
    clearInterval(clock);
    for (const x of tiles) x.destroy();
  };
}

export { fmtClock };
