// One incident: header with actions (A/D/R/F), the timeline of every event, transition and
// escalation, linked cameras live, the alarm clips, a snapshot, site details, map and units.
import { ApiError, api, optional, withToken } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtAge, fmtDateTime, fmtTime, t, tv } from './i18n.js';
import { liveTile, snapshotImg } from './live.js';
import { openBySite } from './map.js';
import { drawMap, fitView } from './map-svg.js';
import { camerasOfSite, jurisdictionName, siteOf, state, subscribe, upsertIncident } from './state.js';
import {
  act,
  actionButtons,
  canAct,
  confirmAndAct,
  dialogOpen,
  escalationBadge,
  incidentType,
  incidentZone,
  panelState,
  priorityBadge,
  reachable,
  stateChip,
} from './widgets.js';

const KEYS = { a: 'acknowledged', d: 'dispatched', o: 'on_scene', r: 'resolved', f: 'false_alarm' };

/** Every event, transition, escalation and note, oldest first. */
export function timelineOf(inc) {
  const items = [
    ...(inc.events ?? []).map((e) => ({
      at: e.ts,
      kind: 'event',
      text: `${tv('type', e.type)}${e.zone ? ` · ${t('zone')} ${e.zone}` : ''}`,
      by: e.device,
    })),
    ...(inc.transitions ?? []).map((tr) => ({
      at: tr.at,
      kind: 'transition',
      text: `${tr.from ? `${tv('state', tr.from)} → ` : ''}${tv('state', tr.to)}`,
      by: tr.by,
      note: tr.note,
    })),
    ...(inc.escalations ?? []).map((e) => ({
      at: e.at,
      kind: e.kind === 'escalate' ? 'escalation' : 'reannounce',
      text: `${t(e.kind === 'escalate' ? 'escalation' : 'reannounce')} #${e.step} → ${e.jurisdiction}`,
    })),
    ...(inc.notes ?? []).map((n) => ({ at: n.at, kind: 'note', text: n.text ?? n.note ?? '', by: n.by })),
    ...(inc.units ?? []).flatMap((u) => [
      { at: u.dispatchedAt, kind: 'unit', text: `${t('dispatch')} ${unitName(u.unit)}`, by: u.dispatchedBy },
      ...(u.arrivedAt
        ? [{ at: u.arrivedAt, kind: 'unit', text: `${t('onScene')} ${unitName(u.unit)}` }]
        : []),
    ]),
  ];
  return items.filter((i) => i.at).sort((a, b) => a.at.localeCompare(b.at));
}

/** The site and its neighbours within about a kilometre: what the mini-map frames. */
function nearby(site) {
  const { lat, lon } = site.location;
  return [...state.sites.values()].filter(
    (s) => s.location && Math.abs(s.location.lat - lat) < 0.009 && Math.abs(s.location.lon - lon) < 0.012,
  );
}

function unitName(id) {
  return state.units.find((u) => u.id === id)?.name ?? id;
}

/** Issue 9's verdict: status, best score and frame, and per camera what the models saw. */
function verificationView(v) {
  if (!v) return [h('span', { class: 'muted' }, t('noData'))];
  return [
    h(
      'div',
      { class: `verify-head verify-${v.status}` },
      h('b', {}, tv('verify', v.status)),
      typeof v.score === 'number' ? ` ${Math.round(v.score * 100)}%` : '',
      v.camera ? h('span', { class: 'muted' }, ` · ${v.camera}`) : '',
      v.at ? h('span', { class: 'muted' }, ` · ${fmtTime(v.at)}`) : '',
    ),
    v.bestFrameUrl
      ? h('img', { class: 'verify-frame', src: withToken(v.bestFrameUrl), alt: v.status })
      : null,
    ...(v.cameras ?? []).map((c) =>
      h(
        'div',
        { class: 'verify-item muted' },
        `${c.camera}: ${c.frames} · motion ${Math.round(c.motion * 100)}% · person ${Math.round(c.person * 100)}%`,
        c.detections?.length
          ? ` · ${c.detections.map((d) => `${d.label} ${Math.round(d.score * 100)}%`).join(', ')}`
          : '',
        c.error ? ` · ${c.error}` : '',
      ),
    ),
  ];
}

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
  let verification;
  const page = h('div', { class: 'incident-view', id: 'incident-view' });
  root.append(page);

  const render = () => {
    if (!inc) return;
    const site = siteOf(inc.site);
    const cameras = linked ?? camerasOfSite(inc.site);
    // Made once and moved into each re-render, so a state change never restarts the video.
    if (tiles.length === 0) tiles = cameras.slice(0, 4).map((c) => liveTile(c));
    const actions = actionButtons(inc, KEYS);
    const firstCam = cameras[0];
    fill(
      page,
      h(
        'div',
        { class: `incident-head p${inc.priority} state-${inc.state}` },
        h(
          'a',
          { class: 'button ghost', href: state.user?.role === 'site' ? '#/site' : '#/queue' },
          `← ${t('back')}`,
        ),
        priorityBadge(inc.priority),
        h(
          'div',
          { class: 'title' },
          h('h1', {}, `${site?.name ?? inc.site} · ${incidentType(inc)} ${incidentZone(inc)}`),
          h(
            'div',
            { class: 'muted' },
            `${inc.id} · ${fmtDateTime(inc.openedAt)} · ${fmtAge(inc.openedAt)} · ${inc.rule}`,
          ),
        ),
        stateChip(inc.state),
        escalationBadge(inc),
        h('span', { class: 'chip' }, t(inc.confirmed ? 'confirmed' : 'unconfirmed')),
        h('div', { class: 'head-actions' }, actions),
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
                  i.by ? h('span', { class: 'muted' }, ` · ${t('by')} ${i.by}`) : null,
                  i.note ? h('div', { class: 'note-text' }, i.note) : null,
                ),
              ),
            ),
          ),
          canAct()
            ? h(
                'form',
                {
                  class: 'note-form',
                  onsubmit: (e) => {
                    e.preventDefault();
                    void addNote(e.target.elements.note);
                  },
                },
                keep('note', () => h('textarea', { name: 'note', rows: 2, placeholder: t('noteOptional') })),
                h('button', { type: 'submit' }, t('addNote')),
              )
            : null,
        ),
        h(
          'section',
          { class: 'card media-card' },
          h('h3', {}, t('cameras')),
          h(
            'div',
            { class: `tiles n${Math.min(tiles.length, 4)}` },
            tiles.length > 0 ? tiles.map((x) => x.el) : h('span', { class: 'muted' }, t('noData')),
          ),
          h(
            'div',
            { class: 'clip-row' },
            h(
              'div',
              {},
              h('h3', {}, t('alarmClip')),
              (inc.clips ?? []).length > 0
                ? inc.clips.map((c) =>
                    h(
                      'div',
                      { class: 'clip' },
                      keep(`clip:${c.url}`, () =>
                        h('video', { controls: true, preload: 'metadata', src: withToken(c.url) }),
                      ),
                      h(
                        'div',
                        { class: 'muted' },
                        `${c.camera} · ${fmtTime(c.start)}–${fmtTime(c.end)} · sha256 ${String(c.sha256 ?? '').slice(0, 12)}…`,
                      ),
                    ),
                  )
                : h('span', { class: 'muted' }, t('noData')),
            ),
            h(
              'div',
              {},
              h('h3', {}, t('snapshot')),
              inc.clips?.[0]?.url
                ? keep(`snap:${inc.clips[0].url}`, () =>
                    h(
                      'div',
                      { class: 'video-box' },
                      h('img', {
                        src: withToken(`${inc.clips[0].url}/snapshot`),
                        alt: t('snapshot'),
                        onerror: (e) =>
                          e.target.replaceWith(firstCam ? snapshotImg(firstCam.id).el : t('noData')),
                      }),
                    ),
                  )
                : firstCam
                  ? keep(`cam:${firstCam.id}`, () =>
                      h('div', { class: 'video-box' }, snapshotImg(firstCam.id).el),
                    )
                  : h('span', { class: 'muted' }, t('noData')),
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
            h('dd', {}, site?.name ?? inc.site),
            h('dt', {}, t('address')),
            h('dd', {}, site?.address ?? t('noData')),
            h('dt', {}, t('jurisdiction')),
            h('dd', {}, jurisdictionName(inc.jurisdiction)),
            h('dt', {}, t('position')),
            h(
              'dd',
              {},
              site?.location
                ? `${site.location.lat.toFixed(4)}, ${site.location.lon.toFixed(4)}`
                : t('noData'),
            ),
            h('dt', {}, t('panel')),
            h('dd', {}, panelState(inc.site, { long: true })),
            h('dt', {}, t('contacts')),
            h(
              'dd',
              {},
              (site?.contacts ?? []).length > 0
                ? site.contacts.map((c) =>
                    h(
                      'div',
                      {},
                      `${c.name}${c.role ? ` (${c.role})` : ''} · `,
                      h('a', { href: `tel:${c.phone}` }, c.phone),
                    ),
                  )
                : t('noData'),
            ),
          ),
          h(
            'div',
            { class: 'mini-map' },
            site?.location
              ? drawMap({
                  sites: [...state.sites.values()],
                  tree: state.tree,
                  openBySite: openBySite(),
                  focus: inc.site,
                  labels: true,
                  aspect: 4 / 3,
                  width: 520,
                  view: fitView(nearby(site)),
                })
              : null,
          ),
          h('h3', {}, t('verification')),
          ...verificationView(inc.verification ?? verification),
          h('h3', {}, t('units')),
          state.available.units
            ? h(
                'div',
                { class: 'units' },
                state.units.map((u) =>
                  h(
                    'div',
                    { class: 'unit-row' },
                    h(
                      'span',
                      {},
                      h('b', {}, u.name ?? u.id),
                      h(
                        'span',
                        { class: `muted unit-${u.status}` },
                        ` ${u.status ? tv('unit', u.status) : ''}${u.incident && u.incident !== inc.id ? ` · ${u.incident}` : ''}`,
                      ),
                    ),
                    canAct()
                      ? h(
                          'button',
                          {
                            type: 'button',
                            disabled: !reachable(inc, 'dispatched') || (u.status && u.status !== 'available'),
                            onclick: () => void act(inc, 'dispatched', { unit: u.id }),
                          },
                          t('dispatch'),
                        )
                      : null,
                  ),
                ),
              )
            : h('span', { class: 'muted' }, t('noData')),
        ),
      ),
    );
  };

  async function addNote(el) {
    const text = el.value.trim();
    if (!text) return;
    try {
      const updated = await api(`/api/incidents/${inc.id}/notes`, { method: 'POST', body: { text } });
      el.value = '';
      if (updated?.id) upsertIncident(updated);
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function onKey(e) {
    if (!inc || dialogOpen() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLElement && e.target.closest('input, textarea, select')) return;
    const to = KEYS[e.key.toLowerCase()];
    if (to) {
      e.preventDefault();
      void confirmAndAct(inc, to);
    } else if (e.key === 'Escape' || e.key === 'Backspace') {
      location.hash = state.user?.role === 'site' ? '#/site' : '#/queue';
    }
  }

  Promise.all([
    api(`/api/incidents/${encodeURIComponent(id)}`),
    optional(`/api/incidents/${encodeURIComponent(id)}/cameras`).catch(() => undefined),
    optional(`/api/incidents/${encodeURIComponent(id)}/verification`).catch(() => undefined),
  ])
    .then(([full, cams, v]) => {
      inc = full;
      verification = v;
      if (Array.isArray(cams?.cameras) && cams.cameras.length > 0)
        linked = cams.cameras.map((c) => ({ ...c, id: c.id ?? c.camera }));
      render();
    })
    .catch((err) => {
      inc = undefined;
      fill(
        page,
        h(
          'div',
          { class: 'empty not-found', id: 'not-found' },
          err instanceof ApiError && err.status === 404 ? t('notFound') : err.message,
        ),
      );
    });
  document.addEventListener('keydown', onKey);
  const off = subscribe((kind, payload) => {
    if (kind === 'reference' && inc) render();
    if (kind === 'incident' && payload.id === id) {
      inc = payload;
      render();
    }
  });
  return () => {
    for (const tile of tiles) tile.destroy();
    document.removeEventListener('keydown', onKey);
    off();
  };
}
