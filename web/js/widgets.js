// Small pieces several views share: priority badge, state chip, panel state, incident actions and
// the modal dialog (keyboard driven: Enter confirms, Escape cancels).
import { api } from './api.js';
import { NEEDS_NOTE } from './close-outcomes.js';
import { dispatchPicker } from './dispatch.js';
import { h, toast } from './dom.js';
import { NOTE_LIMITS, noteBox } from './form-checks.js';
import { fmtAge, fmtOnDay, t, tv } from './i18n.js';
import { eventText, panelLabel } from './names.js';
import { outcomePicker } from './outcome-picker.js';
import { loadUnits, state, upsertIncident } from './state.js';

export function priorityBadge(p) {
  return h('span', { class: `prio prio-${p}`, title: t(`prioName${p}`) }, `P${p}`);
}

export function stateChip(s) {
  return h('span', { class: `chip state-${s}` }, tv('state', s));
}

/** What happened, in words: the first event's type, a trouble's reason once its details are in. */
export function incidentType(inc) {
  const ev = inc.events?.[0];
  if (!ev) return t('noData');
  return eventText(ev);
}

/** "前门（防区 1）" when the zone has a configured name, else "防区 1". */
export function zoneName(siteId, ev) {
  const name = state.sites.get(siteId)?.zones?.find((z) => z.panel === ev.device && z.zone === ev.zone)?.name;
  return name ? t('zoneNamed', { name, zone: ev.zone }) : `${t('zone')} ${ev.zone}`;
}

/** The zone by its configured name ("前门"), with its number for the keyholder's plan. */
export function incidentZone(inc) {
  const ev = inc.events?.[0];
  if (!ev?.zone) return '';
  return zoneName(inc.site, ev);
}

export function isEscalated(inc) {
  return (inc.escalations ?? []).some((e) => e.kind === 'escalate');
}

/** A step taken this long after it fell due was not taken by a running service's checks. */
const STEP_LATE_MS = 60_000;

/**
 * "（应于 10:05 升级，服务恢复后补发）" beside an escalation step taken more than a minute after it
 * fell due (the service was stopped then, and took it at the restart), else null: the step's own time
 * is when the desks were told, this says when they should have been. A step without `dueAt` (stored
 * before the server kept it) or taken on time reads as before.
 */
export function stepLate(e, now = Date.now()) {
  if (!e.dueAt || Date.parse(e.at) - Date.parse(e.dueAt) <= STEP_LATE_MS) return null;
  return h(
    'span',
    { class: 'step-late', dataset: { dueAt: e.dueAt } },
    t(`stepLate_${e.kind === 'reannounce' ? 'reannounce' : 'escalate'}`, { due: fmtOnDay(e.dueAt, now) }),
  );
}

/** The arming state in words: "外出布防", "留守布防", "撤防". */
export function armedText(armed) {
  if (armed === null || armed === undefined) return undefined;
  if (!armed || armed === 'disarmed') return t('disarmed');
  return typeof armed === 'string' && ['away', 'home', 'stay'].includes(armed)
    ? t(`armed_${armed}`)
    : t('armed');
}

/**
 * Panel state of a site: online/offline, armed, battery, mains. "—" when the panels API is absent.
 * The short form (a queue row) names the battery only when it is low: a full one beside 外出布防 left
 * no room in the row's cell and read "电池 10".
 */
export function panelState(siteId, { long = false } = {}) {
  const panels = state.panelsBySite.get(siteId) ?? [];
  if (panels.length === 0) return h('span', { class: 'panel-state muted' }, t('noData'));
  // The panel reports arming in its heartbeat; until it has, the site's arming state from events stands in.
  const siteArmed = state.sites.get(siteId)?.armed;
  return h(
    'span',
    { class: 'panel-state' },
    panels.map((panel) => {
      const armed =
        (panel.armed === null || panel.armed === undefined) && siteArmed
          ? siteArmed.armed
            ? (siteArmed.mode ?? true)
            : 'disarmed'
          : panel.armed;
      const battery = typeof panel.battery === 'number' ? Math.round(panel.battery) : undefined;
      const words = armedText(armed);
      return h(
        'span',
        { class: `panel ${panel.online ? 'on' : 'off'}`, dataset: { panel: panel.id } },
        panels.length > 1 ? h('span', { class: 'muted' }, panelLabel(panel.id)) : null,
        h('span', { class: 'dot' }),
        h('span', {}, panel.online ? t('online') : t('offlineState')),
        words ? h('span', { class: `armed ${armed && armed !== 'disarmed' ? 'yes' : 'no'}` }, words) : null,
        battery !== undefined && (long || battery < 20)
          ? h('span', { class: `battery ${battery < 20 ? 'low' : ''}` }, `${t('battery')} ${battery}%`)
          : null,
        panel.mains === false ? h('span', { class: 'battery low' }, t('mainsLost')) : null,
        long && panel.lastSeen
          ? h('span', { class: 'muted' }, `${t('lastSeen')} ${fmtAge(panel.lastSeen)}`)
          : null,
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
    if (extra.outcome) body.outcome = extra.outcome;
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

/**
 * Asks for confirmation (and a note; for dispatch a unit from the ranked list; for resolving its
 * outcome and for a false alarm its cause, which must be chosen), then acts.
 */
export async function confirmAndAct(inc, to) {
  if (!canAct() || !reachable(inc, to)) return undefined;
  if (to === 'acknowledged') return act(inc, to);
  const closing = outcomePicker(to);
  const picker =
    closing ?? (to === 'dispatched' && state.available.units ? await dispatchPicker(inc) : undefined);
  const answer = await dialog({
    title: t('confirmAction', { action: t(ACTION_LABEL[to]) }),
    note: NOTE_LIMITS.action,
    picker,
    // The API takes a close without an outcome (older callers); the console always asks for one.
    ...(closing
      ? {
          submit: (a) => {
            if (!a.outcome) return t(to === 'resolved' ? 'chooseOutcomeFirst' : 'chooseCauseFirst');
            if (NEEDS_NOTE.includes(a.outcome) && !a.note) return t('err_note_required');
            return undefined;
          },
        }
      : {}),
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

/**
 * A modal: resolves with `{note, ...picker.value()}` on OK/Enter, `undefined` on Cancel/Escape.
 * `note` is the note's length limit (a counter shows it; OK refuses a longer note, in words);
 * `picker` is `{el, value(), onKey(e)}` (the dispatch list), given the arrow and number keys.
 * `submit(answer)` (a form: a new user) runs on OK with what the dialog would resolve with; it
 * resolves to a sentence, shown in the dialog, which stays open with what was typed (the server
 * refused, or a field is wrong), or to nothing, and the dialog closes with the answer. `focus` is
 * the element to start in (a form's first field).
 */
export function dialog({ title, note = 0, picker, body, submit, wide = false, okLabel, focus }) {
  const overlay = document.getElementById('overlay');
  return new Promise((resolve) => {
    const box = note ? noteBox({ max: note }) : undefined;
    const problem = submit ? h('div', { class: 'dialog-problem bad', role: 'alert' }) : null;
    let busy = false;
    const close = (value) => {
      overlay.hidden = true;
      overlay.replaceChildren();
      document.removeEventListener('keydown', onKey, true);
      openDialog = undefined;
      resolve(value);
    };
    const ok = async () => {
      if (busy) return;
      const checked = box?.check() ?? { ok: true, text: '' };
      if (!checked.ok) return box.textarea.focus();
      const answer = { note: checked.text || undefined, ...(picker?.value() ?? {}) };
      if (submit) {
        busy = true;
        okButton.disabled = true;
        problem.textContent = '';
        let refused;
        try {
          refused = await submit(answer);
        } catch (err) {
          refused = err instanceof Error ? err.message : String(err);
        } finally {
          busy = false;
          okButton.disabled = false;
        }
        if (refused) {
          problem.textContent = refused;
          return;
        }
      }
      close(answer);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close(undefined);
      } else if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        e.stopPropagation();
        void ok();
      } else if (picker?.onKey && !(e.target instanceof HTMLTextAreaElement) && picker.onKey(e)) {
        e.preventDefault();
        e.stopPropagation();
        if (problem) problem.textContent = ''; // what it asked for may just have been chosen
      }
    };
    const okButton = h(
      'button',
      { type: 'button', class: 'primary', onclick: () => void ok() },
      `${okLabel ?? t('ok')} (Enter)`,
    );
    const el = h(
      'div',
      { class: `dialog ${picker || wide ? 'dialog-wide' : ''}`, role: 'dialog', 'aria-modal': 'true' },
      h('h2', {}, title),
      body ?? null,
      picker?.el ?? null,
      box?.el ?? null,
      problem,
      h(
        'div',
        { class: 'dialog-buttons' },
        h(
          'button',
          { type: 'button', class: 'ghost', onclick: () => close(undefined) },
          `${t('cancel')} (Esc)`,
        ),
        okButton,
      ),
    );
    if (problem) picker?.el.addEventListener('click', () => (problem.textContent = ''));
    overlay.replaceChildren(el);
    overlay.hidden = false;
    openDialog = close;
    document.addEventListener('keydown', onKey, true);
    (focus ?? picker?.focusEl ?? box?.textarea ?? el.querySelector('.primary'))?.focus();
  });
}
