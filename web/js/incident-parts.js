// Pieces of the incident page: the timeline in words, the verification verdict, the units ranked
// for this incident, and the small map around the site.
import { api, bindMediaSrc, optional } from './api.js';
import { fmtDistance, unitStateText } from './dispatch.js';
import { h, toast } from './dom.js';
import { fmtTime, t, tv } from './i18n.js';
import { incidentsLayer, siteLabels, sitesLayer } from './map-layers.js';
import { areasLayer, createMap } from './map-leaflet.js';
import { cameraName, deviceName, eventText, unitKind } from './names.js';
import { outcomeText } from './outcome-picker.js';
import { personName } from './people.js';
import { workflowTimeline } from './plan-panel.js';
import { jurisdictionName, siteName, state, upsertIncident } from './state.js';
import { stepLate, zoneName } from './widgets.js';

function unitName(id) {
  return state.units.find((u) => u.id === id)?.name ?? id;
}

/**
 * Every event, transition, escalation, note and unit movement, oldest first, in words. `by` is what
 * the line says did it (a device, 系统, a person's name); `user`, when a person did, their login;
 * `late`, on an escalation step taken late, when it fell due.
 */
export function timelineOf(inc) {
  const person = (username) => (username ? { by: personName(inc.people, username), user: username } : {});
  const items = [
    ...(inc.events ?? []).map((e) => ({
      at: e.ts,
      kind: 'event',
      text: `${eventText(e)}${e.zone ? ` · ${zoneName(inc.site, e)}` : ''}`,
      by: deviceName(e.device),
    })),
    ...(inc.transitions ?? []).map((tr) => ({
      at: tr.at,
      kind: 'transition',
      text: `${tr.from ? `${tv('state', tr.from)} → ` : ''}${tv('state', tr.to)}`,
      ...(tr.by === 'system' ? { by: t('system') } : person(tr.by)),
      note: tr.note,
      // How it was closed (结案 outcome, 误报 cause), in words; a code this console does not know as is.
      outcome: tr.outcome ? outcomeText(tr.outcome) : undefined,
    })),
    ...(inc.escalations ?? []).map((e) => ({
      at: e.at,
      kind: e.kind === 'escalate' ? 'escalation' : 'reannounce',
      text: `${t(e.kind === 'escalate' ? 'escalation' : 'reannounce')} #${e.step} → ${jurisdictionName(e.jurisdiction)}`,
      late: stepLate(e),
    })),
    ...(inc.notes ?? []).map((n) => ({
      at: n.at,
      kind: 'note',
      text: n.text ?? n.note ?? '',
      ...person(n.by),
    })),
    ...(inc.units ?? []).flatMap((u) => [
      {
        at: u.dispatchedAt,
        kind: 'unit',
        text: `${t('dispatch')} ${unitName(u.unit)}`,
        ...person(u.dispatchedBy),
      },
      ...(u.arrivedAt
        ? [{ at: u.arrivedAt, kind: 'unit', text: `${t('onScene')} ${unitName(u.unit)}` }]
        : []),
    ]),
    ...workflowTimeline(inc), // issue 17: calls and notifications
  ];
  return items.filter((i) => i.at).sort((a, b) => a.at.localeCompare(b.at));
}

/** The verification verdict (issue 9), carried on the incident itself when there is one. */
export function verificationView(v) {
  if (!v) return [h('span', { class: 'muted' }, t('notVerified'))];
  const pct = (x) => `${Math.round((x ?? 0) * 100)}%`;
  return [
    h(
      'div',
      { class: `verify-head verify-${v.status}` },
      h('b', {}, tv('verify', v.status)),
      typeof v.score === 'number' ? ` ${pct(v.score)}` : '',
      v.camera ? h('span', { class: 'muted' }, ` · ${cameraName(v.camera)}`) : '',
      v.at ? h('span', { class: 'muted' }, ` · ${fmtTime(v.at)}`) : '',
    ),
    v.bestFrameUrl
      ? bindMediaSrc(h('img', { class: 'verify-frame', alt: t('verification') }), v.bestFrameUrl)
      : null,
    ...(v.cameras ?? []).map((c) =>
      h(
        'div',
        { class: 'verify-item muted' },
        `${cameraName(c.camera)}: ${t('verifyFrames', { n: c.frames })} · ${t('verifyMotion')} ${pct(c.motion)} · ${t('verifyPerson')} ${pct(c.person)}`,
        c.detections?.length
          ? ` · ${c.detections.map((d) => `${tv('label', d.label)} ${pct(d.score)}`).join('，')}`
          : '',
        c.error ? ` · ${t('verifyCameraFailed')}` : '',
      ),
    ),
  ];
}

/**
 * The units for this incident, own station first with state and distance (GET /api/units?incident=),
 * each with a dispatch button. Fills `box` and refills it on `refresh()`.
 */
export function unitsPanel(box, inc, { canDispatch, onDispatch }) {
  let current = inc;
  const draw = (units) => {
    box.replaceChildren(
      ...(units.length === 0
        ? [h('span', { class: 'muted' }, t('noData'))]
        : units.map((u) =>
            h(
              'div',
              { class: `unit-row ${u.own ? 'own' : ''}`, dataset: { unit: u.id } },
              h(
                'span',
                {},
                u.own ? h('span', { class: 'own-tag' }, t('ownTag')) : null,
                h('b', {}, u.name),
                h('span', { class: 'muted' }, ` ${unitKind(u.kind)}`),
                h(
                  'div',
                  { class: `small unit-${u.status}` },
                  `${unitStateText(u)} · ${fmtDistance(u.distanceM)}`,
                ),
              ),
              canDispatch
                ? h(
                    'button',
                    {
                      type: 'button',
                      disabled: !onDispatch.enabled(current) || (u.status && u.status !== 'available'),
                      onclick: () => onDispatch.run(current, u.id),
                    },
                    t('dispatch'),
                  )
                : null,
            ),
          )),
    );
  };
  const refresh = async (next = current) => {
    current = next;
    const res = await optional(`/api/units?incident=${encodeURIComponent(current.id)}`).catch(
      () => undefined,
    );
    draw(res?.units ?? []);
  };
  void refresh();
  return { refresh };
}

/** Posts a timeline note; resolves true when it was added. */
export async function postNote(inc, text) {
  try {
    const updated = await api(`/api/incidents/${inc.id}/notes`, { method: 'POST', body: { text } });
    if (updated?.id) upsertIncident(updated);
    return true;
  } catch (err) {
    toast(err.message, 'error');
    return false;
  }
}

/** A small map around the site: the areas, the neighbours, the incident marked. */
export function miniMap(el, inc) {
  let made;
  let dead = false;
  void createMap(el).then((m) => {
    if (dead) return m.map.remove();
    made = m;
    const { L, map, cfg } = m;
    const site = state.sites.get(inc.site);
    const areas = cfg.areas?.length
      ? areasLayer(L, map, cfg.areas, { highlight: inc.jurisdiction }).addTo(map)
      : undefined;
    const sites = [...state.sites.values()];
    const others = sitesLayer(L, sites, { skip: new Set([inc.site]) }).addTo(map);
    const here = incidentsLayer(
      L,
      sites,
      new Map([[inc.site, { count: 1, priority: inc.priority, unacked: inc.state === 'new' }]]),
    ).addTo(map);
    siteLabels(L, map, () => [here, others], siteName, { areas: () => areas }).later();
    if (site?.location) map.setView([site.location.lat, site.location.lon], Math.min(15, cfg.maxZoom ?? 15));
    el.dataset.ready = 'true';
  });
  return () => {
    dead = true;
    made?.map.remove();
  };
}
