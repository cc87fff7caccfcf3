// Investigation: pick a site, up to four of its cameras and a time range (or open an incident), then
// play the recording on a wall-clock timeline (web/js/playback/), bookmark, export the marked range
// and verify an export. Routes: #/investigate, #/investigate/incident/<id>,
// #/investigate/camera/<id>[,<id>…]/<ISO time>.

import { api, bindMediaSrc } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtDateTime, t } from './i18n.js';
import { icon } from './icons.js';
import { footagePanel } from './playback/footage-panel.js';
import { errorText, playerView } from './playback/player-view.js';
import { siteName, state, subscribe } from './state.js';
import { incidentType, priorityBadge, stateChip } from './widgets.js';
import { parseWall, wallIso } from './zone.js';

const MAX_CAMERAS = 4;
/** A `datetime-local` value (to the minute) on the city's clock. */
const localInput = (ms) => wallIso(ms).slice(0, 16);

/** The page's own stylesheet, loaded once (the shell's index.html is another part's). */
function ensureStyles() {
  if (document.querySelector('link[data-playback-css]')) return;
  document.head.append(
    h('link', { rel: 'stylesheet', href: '/css/playback.css', dataset: { playbackCss: '1' } }),
  );
}

export function mount(root, params = []) {
  ensureStyles();
  const now = Date.now();
  const siteSel = h(
    'select',
    { name: 'site', id: 'inv-site' },
    h('option', { value: '' }, t('any')),
    [...state.sites.values()].map((s) => h('option', { value: s.id }, s.name)),
  );
  const camBox = h('div', { class: 'inv-cams', id: 'inv-cams' });
  const from = h('input', {
    type: 'datetime-local',
    name: 'from',
    id: 'inv-from',
    value: localInput(now - 3_600_000),
  });
  // Empty means "now" at the moment of the search, so a fresh alarm is never cut off.
  const to = h('input', { type: 'datetime-local', name: 'to', id: 'inv-to' });
  const incidentsBox = h('div', { class: 'inv-incidents' });
  const playerBox = h('div', { class: 'inv-player-box', id: 'inv-player' });
  const sideBox = h('div', { class: 'inv-side' });
  const clipBox = h('div', { class: 'inv-clip-box' });
  let player;
  let panel;

  const fillCameras = (checked = []) => {
    // Any site: every camera is offered, none chosen (a site's cameras are chosen for it).
    const cams = state.cameras.filter((c) => !siteSel.value || c.site === siteSel.value);
    const pick =
      checked.length > 0 ? checked : siteSel.value ? cams.slice(0, MAX_CAMERAS).map((c) => c.id) : [];
    fill(
      camBox,
      cams.length === 0
        ? h('span', { class: 'muted' }, t(siteSel.value ? 'pbNoCameras' : 'pbNoCamerasAny'))
        : cams.map((c) =>
            h(
              'label',
              { class: 'inv-cam' },
              h('input', {
                type: 'checkbox',
                name: 'camera',
                value: c.id,
                checked: pick.includes(c.id),
                onchange: (e) => {
                  const on = camBox.querySelectorAll('input:checked');
                  if (on.length > MAX_CAMERAS) {
                    e.currentTarget.checked = false;
                    toast(t('pbMaxCameras', { n: MAX_CAMERAS }), 'error');
                  }
                },
              }),
              ` ${c.name ?? c.id}${siteSel.value ? '' : ` · ${siteName(c.site)}`}`,
            ),
          ),
    );
  };
  siteSel.addEventListener('change', () => fillCameras());

  const chosen = () => [...camBox.querySelectorAll('input:checked')].map((i) => i.value);
  const label = (id) => {
    const c = state.cameras.find((x) => x.id === id);
    return c?.name ?? id;
  };

  function open({ cameras, fromMs, toMs, startMs, incident }) {
    player?.close();
    panel?.close();
    player = undefined;
    if (cameras.length === 0) {
      fill(playerBox, h('div', { class: 'muted card' }, t('pbPickCamera')));
      // Verifying an export needs no camera: the side panel is there anyway.
      panel = footagePanel({ incident, cameras: () => [], marks: () => ({}), onPlayClip: () => undefined });
      fill(sideBox, panel.el);
      return;
    }
    player = playerView({
      cameras: cameras.map((id) => ({ id, label: label(id) })),
      range: { from: fromMs, to: toMs },
      start: startMs,
      incident,
      onBookmark: () => void panel?.reload(),
    });
    panel = footagePanel({
      incident,
      cameras: () => cameras,
      marks: () => player.marks(),
      onPlayClip: (url) => {
        // A signed, short-lived URL (never the session token); re-signed if the video asks again later.
        const v = bindMediaSrc(h('video', { controls: true, autoplay: true, class: 'inv-clip' }), url);
        toast(t('pbClipOpened'));
        fill(clipBox, v);
      },
    });
    fill(playerBox, player.el);
    fill(sideBox, panel.el, clipBox);
  }
  /** The incidents of the chosen site (or all) in a range, listed under the player. */
  function listIncidents(fromMs, toMs) {
    const q = new URLSearchParams({
      since: new Date(fromMs).toISOString(),
      until: new Date(toMs).toISOString(),
      limit: '200',
    });
    if (siteSel.value) q.set('site', siteSel.value);
    api(`/api/incidents?${q}`)
      .then(({ incidents }) => showIncidents(incidents))
      .catch((err) => fill(incidentsBox, h('div', { class: 'muted' }, errorText(err))));
  }

  async function search(e) {
    e?.preventDefault();
    const fromMs = parseWall(from.value);
    const toMs = to.value ? parseWall(to.value) : Date.now();
    if (!(toMs > fromMs)) return toast(t('pbErr_bad_range'), 'error');
    listIncidents(fromMs, toMs);
    open({ cameras: chosen(), fromMs, toMs, startMs: Math.max(fromMs, toMs - 600_000) });
  }

  function showIncidents(incidents) {
    fill(
      incidentsBox,
      incidents.length === 0
        ? h('div', { class: 'muted' }, t('noIncidents'))
        : h(
            'table',
            { class: 'grid' },
            h(
              'tr',
              {},
              ['colPriority', 'colTime', 'colSite', 'colType', 'colState', 'alarmClip'].map((k) =>
                h('th', {}, t(k)),
              ),
            ),
            incidents.map((i) =>
              h(
                'tr',
                {
                  class: 'selectable',
                  dataset: { id: i.id },
                  onclick: () => (location.hash = `#/investigate/incident/${i.id}`),
                },
                h('td', {}, priorityBadge(i.priority)),
                h('td', {}, fmtDateTime(i.openedAt)),
                h('td', {}, siteName(i.site)),
                h('td', {}, incidentType(i)),
                h('td', {}, stateChip(i.state)),
                h('td', {}, (i.clips ?? []).length > 0 ? [icon('play'), ` ${i.clips.length}`] : t('noData')),
              ),
            ),
          ),
    );
  }

  /** An incident: its site's cameras (clip cameras first), from 10 min before to 20 min after. */
  async function openIncident(id) {
    try {
      const f = await api(`/api/recordings/incident/${encodeURIComponent(id)}`);
      const opened = Date.parse(f.openedAt);
      siteSel.value = f.site;
      const cams = f.cameras.slice(0, MAX_CAMERAS);
      fillCameras(cams);
      from.value = localInput(opened - 600_000);
      to.value = localInput(Math.min(Date.now(), opened + 1_200_000));
      const first = f.clips[0];
      open({
        cameras: cams,
        fromMs: opened - 600_000,
        toMs: Math.min(Date.now(), opened + 1_200_000),
        startMs: first ? Date.parse(first.start) : opened - 10_000,
        incident: id,
      });
      fill(
        incidentsBox,
        h('div', {}, `${t('pbIncident')} ${id} · ${siteName(f.site)} · ${fmtDateTime(f.openedAt)}`),
      );
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  root.append(
    h(
      'div',
      { class: 'page inv-view' },
      h(
        'form',
        { class: 'card inv-form', onsubmit: search },
        h('label', {}, t('site'), siteSel),
        h(
          'div',
          { class: 'inv-cams-field' },
          h('span', { class: 'muted' }, t('pbCameras', { n: MAX_CAMERAS })),
          camBox,
        ),
        h('label', {}, t('from'), from),
        h('label', {}, t('to'), to),
        h('button', { type: 'submit', class: 'primary', id: 'inv-search' }, t('search')),
      ),
      h(
        'div',
        { class: 'inv-layout' },
        h(
          'div',
          { class: 'inv-main' },
          playerBox,
          h('section', { class: 'card' }, h('h3', {}, t('incidents')), incidentsBox),
        ),
        sideBox,
      ),
    ),
  );

  const [kind, id, at] = params;
  if (kind === 'incident' && id) {
    fillCameras();
    void openIncident(id);
  } else if (kind === 'camera' && id) {
    // One camera, or up to four separated by commas, around a moment.
    const ids = id.split(',').slice(0, MAX_CAMERAS);
    const sites = new Set(ids.map((c) => state.cameras.find((x) => x.id === c)?.site));
    siteSel.value = sites.size === 1 ? ([...sites][0] ?? '') : '';
    fillCameras(ids);
    const atMs = Date.parse(at ?? '') || now - 600_000;
    from.value = localInput(atMs - 1_800_000);
    to.value = localInput(Math.min(now, atMs + 1_800_000));
    open({ cameras: ids, fromMs: atMs - 1_800_000, toMs: Math.min(now, atMs + 1_800_000), startMs: atMs });
    listIncidents(atMs - 1_800_000, Math.min(now, atMs + 1_800_000));
  } else {
    fillCameras();
    void search();
  }
  const off = subscribe((k, p) => {
    if (k === 'export' && p?.id) panel?.onExportProgress(p);
  });
  return () => {
    off();
    player?.close();
    panel?.close();
  };
}
