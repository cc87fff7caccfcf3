// Small pieces several views share: priority badge, state chip, panel state, incident actions and
// the modal dialog (keyboard driven: Enter confirms, Escape cancels).
import { api } from './api.js';
import { h, toast } from './dom.js';
import { fmtAge, t, tv } from './i18n.js';
import { loadUnits, state, upsertIncident } from './state.js';

export function priorityBadge(p) {
  return h('span', { class: `prio prio-${p}`, title: `P${p}` }, `P${p}`);
}

export function stateChip(s) {
  return h('span', { class: `chip state-${s}` }, tv('state', s));
}

export function incidentType(inc) {
  const ev = inc.events?.[0];
  if (!ev) return inc.rule ?? t('noData');
  return tv('type', ev.type);
}

export function incidentZone(inc) {
  const ev = inc.events?.[0];
  return ev?.zone ? `${t('zone')} ${ev.zone}` : '';
}

export function isEscalated(inc) {
  return (inc.escalations ?? []).some((e) => e.kind === 'escalate');
}

export function escalationBadge(inc) {
  const steps = inc.escalations ?? [];
  if (steps.length === 0) return null;
  const esc = steps.filter((e) => e.kind === 'escalate').length;
  return h(
    'span',
    { class: `badge ${esc > 0 ? 'badge-esc' : 'badge-re'}` },
    esc > 0 ? `⇧ ${t('escalated')} ×${esc}` : `↻ ${t('reannounce')} ×${steps.length}`,
  );
}

/** Panel state of a site: online/offline, armed, battery, mains. "—" when the panels API is absent. */
export function panelState(siteId, { long = false } = {}) {
  const panels = state.panelsBySite.get(siteId) ?? [];
  if (panels.length === 0) return h('span', { class: 'panel-state muted' }, t('noData'));
  // The panel reports arming in its heartbeat; until it has, the site's arming state from events stands in.
  const siteArmed = state.sites.get(siteId)?.armed;
  return h(
    'span',
    { class: 'panel-state' },
    panels.map((panel) => {
      const p =
        (panel.armed === null || panel.armed === undefined) && siteArmed
          ? { ...panel, armed: siteArmed.armed ? (siteArmed.mode ?? true) : 'disarmed' }
          : panel;
      const battery = typeof p.battery === 'number' ? Math.round(p.battery) : undefined;
      return h(
        'span',
        { class: `panel ${p.online ? 'on' : 'off'}`, dataset: { panel: p.id }, title: p.id },
        h('span', { class: 'dot' }),
        h('span', {}, p.online ? t('online') : t('offlineState')),
        p.armed === null || p.armed === undefined
          ? null
          : h(
              'span',
              { class: `armed ${p.armed && p.armed !== 'disarmed' ? 'yes' : 'no'}` },
              p.armed && p.armed !== 'disarmed'
                ? `${t('armed')}${typeof p.armed === 'string' ? ` ${p.armed}` : ''}`
                : t('disarmed'),
            ),
        battery !== undefined
          ? h('span', { class: `battery ${battery < 20 ? 'low' : ''}` }, `${t('battery')} ${battery}%`)
          : null,
        p.mains === false ? h('span', { class: 'battery low' }, t('mainsLost')) : null,
        long && p.lastSeen ? h('span', { class: 'muted' }, `${t('lastSeen')} ${fmtAge(p.lastSeen)}`) : null,
      );
    }),
  );
}

const ROUTE = {
  acknowledged: 'ack',
  dispatched: 'dispatch',
  on_scene: 'on-scene',
  resolved: 'resolve',
  false_alarm: 'false-alarm',
};
const NEXT = {
  new: ['acknowledged', 'false_alarm'],
  acknowledged: ['dispatched', 'resolved', 'false_alarm'],
  dispatched: ['on_scene', 'resolved', 'false_alarm'],
  on_scene: ['resolved', 'false_alarm'],
};

export const ACTION_LABEL = {
  acknowledged: 'ack',
  dispatched: 'dispatch',
  on_scene: 'onScene',
  resolved: 'resolve',
  false_alarm: 'falseAlarm',
};

export function canAct() {
  return state.user && !['site', 'investigator'].includes(state.user.role);
}

/** Whether `to` can be reached from the incident's state (a new incident is acknowledged first). */
export function reachable(inc, to) {
  const next = NEXT[inc.state] ?? [];
  return next.includes(to) || (inc.state === 'new' && (NEXT.acknowledged ?? []).includes(to));
}

/** Moves an incident to `to`, acknowledging a new one first when the state machine needs it. */
export async function act(inc, to, extra = {}) {
  let current = inc;
  try {
    if (current.state === 'new' && to !== 'acknowledged' && to !== 'false_alarm') {
      current = await api(`/api/incidents/${current.id}/ack`, { method: 'POST', body: {} });
      upsertIncident(current);
    }
    const body = {};
    if (extra.note) body.note = extra.note;
    if (extra.unit) body.unit = extra.unit;
    const updated = await api(`/api/incidents/${current.id}/${ROUTE[to]}`, { method: 'POST', body });
    upsertIncident(updated);
    if (to === 'dispatched' || to === 'on_scene' || to === 'resolved' || to === 'false_alarm')
      void loadUnits().catch(() => undefined);
    return updated;
  } catch (err) {
    toast(err.message, 'error');
    return undefined;
  }
}

/** Asks for confirmation (and a note, and for dispatch a unit), then acts. */
export async function confirmAndAct(inc, to) {
  if (!canAct() || !reachable(inc, to)) return undefined;
  if (to === 'acknowledged') return act(inc, to);
  const units = to === 'dispatched' ? state.units.filter((u) => !u.status || u.status === 'available') : [];
  const answer = await dialog({
    title: t('confirmAction', { action: t(ACTION_LABEL[to]) }),
    note: true,
    units: to === 'dispatched' && state.available.units ? units : undefined,
  });
  if (!answer) return undefined;
  return act(inc, to, answer);
}

let openDialog;
/** The action buttons of an incident (key → target state), or none for a role that cannot act. */
export function actionButtons(inc, keys) {
  if (!canAct()) return [];
  return Object.entries(keys).map(([key, to]) =>
    h(
      'button',
      {
        type: 'button',
        class: `act act-${to}`,
        disabled: !reachable(inc, to),
        dataset: { action: to },
        onclick: () => void confirmAndAct(inc, to),
      },
      h('kbd', {}, key.toUpperCase()),
      ' ',
      t(ACTION_LABEL[to]),
    ),
  );
}

export function dialogOpen() {
  return openDialog !== undefined;
}

/** A modal: resolves with `{note, unit}` on OK/Enter, `undefined` on Cancel/Escape. */
export function dialog({ title, note = false, units, body }) {
  const overlay = document.getElementById('overlay');
  return new Promise((resolve) => {
    const noteEl = note ? h('textarea', { rows: 2, placeholder: t('noteOptional'), class: 'note' }) : null;
    const unitEl = units
      ? h(
          'select',
          { class: 'unit' },
          h('option', { value: '' }, t('noUnit')),
          units.map((u) => h('option', { value: u.id }, `${u.name ?? u.id}${u.kind ? ` · ${u.kind}` : ''}`)),
        )
      : null;
    const close = (value) => {
      overlay.hidden = true;
      overlay.replaceChildren();
      document.removeEventListener('keydown', onKey, true);
      openDialog = undefined;
      resolve(value);
    };
    const ok = () => close({ note: noteEl?.value.trim() || undefined, unit: unitEl?.value || undefined });
    const onKey = (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close(undefined);
      } else if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        e.stopPropagation();
        ok();
      }
    };
    const box = h(
      'div',
      { class: 'dialog', role: 'dialog', 'aria-modal': 'true' },
      h('h2', {}, title),
      body ?? null,
      unitEl ? h('label', {}, t('chooseUnit'), unitEl) : null,
      noteEl,
      h(
        'div',
        { class: 'dialog-buttons' },
        h(
          'button',
          { type: 'button', class: 'ghost', onclick: () => close(undefined) },
          `${t('cancel')} (Esc)`,
        ),
        h('button', { type: 'button', class: 'primary', onclick: ok }, `${t('ok')} (Enter)`),
      ),
    );
    overlay.replaceChildren(box);
    overlay.hidden = false;
    openDialog = close;
    document.addEventListener('keydown', onKey, true);
    (unitEl ?? noteEl ?? box.querySelector('.primary'))?.focus();
  });
}
