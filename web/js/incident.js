// One incident: header with actions (A/D/O/R/F), the timeline in words, the linked cameras live on
// the main stream, the alarm clips, site details with a small map, the verification and the units
// ranked for this incident (own station first, with state and distance).
import { ApiError, api, bindMediaSrc } from './api.js';
import { wantDetails } from './details.js';
import { fill, h } from './dom.js';
import { NOTE_LIMITS, noteBox } from './form-checks.js';
import { fmtAge, fmtDateTime, fmtTime, t } from './i18n.js';
import { miniMap, postNote, timelineOf, unitsPanel, verificationView } from './incident-parts.js';
import { liveTile, snapshotImg } from './live.js';
import { cameraName, ruleName } from './names.js';
import { personTitle } from './people.js';
import { workflowCard } from './plan-panel.js';
import { escalatedBadge, holderLine, overdueBadge } from './queue-row.js';
import { camerasOfSite, jurisdictionName, siteOf, state, subscribe, upsertIncident } from './state.js';
import {
  act,
  actionButtons,
  canAct,
  confirmAndAct,
  dialogOpen,
  incidentType,
  incidentZone,
  panelState,
  priorityBadge,
  reachable,
  stateChip,
} from './widgets.js';

const KEYS = { a: 'acknowledged', d: 'dispatched', o: 'on_scene', r: 'resolved', f: 'false_alarm' };

export { timelineOf };

export function mount(root, [id]) {
  let inc = state.incidents.get(id);
  let tiles = [];
  // Elements that must survive a re-render (an update arriving while the operator plays the clip or
  // types a note): made once per key and moved into each new render. Snapshots are fetched once,
  // not on every update (each fetch of footage is an audit entry).
  const kept = new Map();
  const keep = (key, make) => {
    if (!kept.has(key)) kept.set(key, make());
    return kept.get(key);
  };
  /** Cameras linked to the incident's zones (live API), else every camera of the site. */
  let linked;
  let units;
  let stopMap;
  const back = state.user?.role === 'site' ? '#/site' : '#/queue';
  const page = h('div', { class: 'incident-view', id: 'incident-view' });
  root.append(page);

  const notes = canAct()
    ? noteBox({ max: NOTE_LIMITS.note, name: 'note', required: true, placeholder: t('notePlaceholder') })
    : undefined;
  const unitsBox = h('div', { class: 'units', id: 'incident-units' });
  const mapEl = h('div', { class: 'mini-map', id: 'mini-map' });

  const render = () => {
    if (!inc) return;
    wantDetails([inc]);
    const site = siteOf(inc.site);
    const cameras = linked ?? camerasOfSite(inc.site);
    // Made once and moved into each re-render, so a state change never restarts the video. The
    // page's tiles are large: they play the main stream (the sub-stream is 320 px wide).
    if (tiles.length === 0) tiles = cameras.slice(0, 4).map((c) => liveTile(c, { stream: 'main' }));
    const firstCam = cameras[0];
    const clips = inc.clips ?? [];
    fill(
      page,
      h(
        'div',
        { class: `incident-head p${inc.priority} state-${inc.state}` },
        h('a', { class: 'button ghost', href: back }, `← ${t('back')}`),
        priorityBadge(inc.priority),
        h(
          'div',
          { class: 'title' },
          h('h1', {}, `${site?.name ?? t('site')} · ${incidentType(inc)} ${incidentZone(inc)}`),
          h(
            'div',
            { class: 'muted' },
            `${inc.id} · ${fmtDateTime(inc.openedAt)} · ${fmtAge(inc.openedAt)} · ${t('ruleLabel')} ${ruleName(inc.rule)}
`,
          ),
        ),
        stateChip(inc.state),
        overdueBadge(inc),
        escalatedBadge(inc),
        h('span', { class: 'chip' }, t(inc.confirmed ? 'confirmed' : 'unconfirmed')),
        holderLine(inc),
        h('div', { class: 'head-actions' }, actionButtons(inc, KEYS)),
      ),
      h(
        'div',
        { class: 'incident-grid' },
        h(
          'section',
          { class: 'card timeline-card' },
          h('h3', {}, t('timeline')),
          h(
            'ol',
            { class: 'timeline', id: 'timeline' },
            timelineOf(inc).map((i) =>
              h(
                'li',
                { class: `tl-${i.kind}` },
                h('time', {}, fmtTime(i.at)),
                h(
                  'div',
                  {},
                  h('b', {}, i.text),
                  i.late ?? null,
                  i.outcome
                    ? [' ', h('span', { class: 'outcome', dataset: { kind: 'outcome' } }, i.outcome)]
                    : null,
                  i.by
                    ? h(
                        'span',
                        { class: 'muted by', title: i.user ? personTitle(inc.people, i.user) : undefined },
                        ` · ${i.by}`,
                      )
                    : null,
                  i.note ? h('div', { class: 'note-text' }, i.note) : null,
                ),
              ),
            ),
          ),
          notes
            ? h(
                'form',
                {
                  class: 'note-form',
                  onsubmit: (e) => {
                    e.preventDefault();
                    const checked = notes.check();
                    if (checked.ok) void postNote(inc, checked.text).then((ok) => ok && notes.clear());
                  },
                },
                notes.el,
                h('button', { type: 'submit' }, t('addNote')),
              )
            : null,
        ),
        // Issue 17: plan steps, holder and call list (plan-panel.js).
        workflowCard(inc, (updated) => {
          if (!updated?.id) return;
          inc = updated;
          upsertIncident(updated);
          render();
        }),
        h(
          'section',
          { class: 'card media-card' },
          h('h3', {}, t('cameras')),
          h(
            'div',
            { class: `tiles n${Math.min(tiles.length, 4)}` },
            tiles.length > 0 ? tiles.map((x) => x.el) : h('span', { class: 'muted' }, t('noCameras')),
          ),
          h(
            'div',
            { class: 'clip-row' },
            // The count says how many clips there are before any is seen (a zone can have four cameras).
            h('h3', {}, clips.length > 1 ? `${t('alarmClip')} · ${clips.length}` : t('alarmClip')),
            ...(clips.length > 0
              ? clips.map((c) =>
                  h(
                    'div',
                    { class: 'clip' },
                    keep(`clip:${c.url}`, () =>
                      bindMediaSrc(h('video', { controls: true, preload: 'metadata' }), c.url),
                    ),
                    h(
                      'div',
                      { class: 'muted' },
                      `${cameraName(c.camera)} · ${fmtTime(c.start)}–${fmtTime(c.end)} · SHA-256 ${String(c.sha256 ?? '').slice(0, 12)}…`,
                    ),
                  ),
                )
              : [h('span', { class: 'muted' }, t(firstCam ? 'clipPending' : 'noCameras'))]),
            // The still beside the clips when the row has room, under them when not; named on the image.
            // Without a clip or a camera there is no still either (the line above says why).
            h(
              'div',
              { class: 'still', hidden: !clips[0]?.url && !firstCam },
              clips[0]?.url
                ? keep(`snap:${clips[0].url}`, () =>
                    h(
                      'div',
                      { class: 'video-box' },
                      h('span', { class: 'label' }, t('snapshot')),
                      bindMediaSrc(
                        h('img', {
                          alt: t('snapshot'),
                          onerror: (e) =>
                            e.target.replaceWith(firstCam ? snapshotImg(firstCam.id).el : t('noData')),
                        }),
                        `${clips[0].url}/snapshot`,
                      ),
                    ),
                  )
                : firstCam
                  ? keep(`cam:${firstCam.id}`, () =>
                      h(
                        'div',
                        { class: 'video-box' },
                        h('span', { class: 'label' }, t('snapshot')),
                        snapshotImg(firstCam.id).el,
                      ),
                    )
                  : null,
            ),
          ),
        ),
        h(
          'section',
          { class: 'card site-card' },
          h('h3', {}, t('siteDetails')),
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, t('site')),
            h('dd', {}, site?.name ?? t('noData')),
            h('dt', {}, t('address')),
            h('dd', {}, site?.address ?? t('noData')),
            h('dt', {}, t('jurisdiction')),
            h('dd', {}, site?.jurisdictionName ?? jurisdictionName(inc.jurisdiction)),
            h('dt', {}, t('panel')),
            h('dd', {}, panelState(inc.site, { long: true })),
            h('dt', {}, t('contacts')),
            h(
              'dd',
              {},
              (site?.contacts ?? []).length > 0
                ? site.contacts.map((c) =>
                    h('div', {}, `${c.name} · `, h('a', { href: `tel:${c.phone}` }, c.phone)),
                  )
                : t('noData'),
            ),
          ),
          mapEl,
          h('h3', {}, t('verification')),
          ...verificationView(inc.verification),
          h('h3', {}, t('units')),
          unitsBox,
        ),
      ),
    );
  };

  function onKey(e) {
    if (!inc || dialogOpen() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLElement && e.target.closest('input, textarea, select')) return;
    const to = KEYS[e.key.toLowerCase()];
    if (to) {
      e.preventDefault();
      void confirmAndAct(inc, to);
    } else if (e.key === 'Escape' || e.key === 'Backspace') {
      location.hash = back;
    }
  }

  const start = () => {
    render();
    stopMap ??= miniMap(mapEl, inc);
    units ??= unitsPanel(unitsBox, inc, {
      canDispatch: canAct(),
      onDispatch: {
        enabled: (i) => reachable(i, 'dispatched'),
        run: (i, unit) => void act(i, 'dispatched', { unit }),
      },
    });
  };

  // The verification verdict rides on the incident itself (issue 9), so no second request is made.
  Promise.all([
    api(`/api/incidents/${encodeURIComponent(id)}`),
    api(`/api/incidents/${encodeURIComponent(id)}/cameras`).catch(() => undefined),
  ])
    .then(([full, cams]) => {
      inc = full;
      if (Array.isArray(cams?.cameras) && cams.cameras.length > 0)
        linked = cams.cameras.map((c) => ({ ...c, id: c.id ?? c.camera }));
      start();
    })
    .catch((err) => {
      inc = undefined;
      fill(
        page,
        h(
          'div',
          { class: 'empty not-found', id: 'not-found' },
          h('p', {}, err instanceof ApiError && err.status === 404 ? t('notFound') : err.message),
          h(
            'a',
            { class: 'button primary', href: back, id: 'not-found-back' },
            `← ${t(state.user?.role === 'site' ? 'backToSite' : 'backToQueue')}`,
          ),
        ),
      );
    });
  document.addEventListener('keydown', onKey);
  const off = subscribe((kind, payload) => {
    if ((kind === 'reference' || kind === 'details' || kind === 'panels') && inc) render();
    if (kind === 'reference' && inc) void units?.refresh(inc);
    if (kind === 'incident' && payload.id === id) {
      inc = payload;
      render();
      void units?.refresh(inc);
    }
  });
  return () => {
    for (const tile of tiles) tile.destroy();
    stopMap?.();
    document.removeEventListener('keydown', onKey);
    off();
  };
}
