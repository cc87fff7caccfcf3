// The receiver's own troubles in the top bar of every desk (operators, investigators, supervisors,
// admins): hidden while all is well; yellow "系统需关注" or red "系统异常" when a node says otherwise
// (Socket.IO `system:status`, from each node at connect, on a change, and each minute while anything
// is wrong). A click opens the list in words, each with since when; a supervisor or admin also gets
// the way to 系统状态 and a button to take charge, an operator the instruction to call the duty
// engineer (or that someone has taken charge). A trouble that turns red chimes (sound.js `chime`,
// muted with the ring) and pops a toast, once. Mount once after login: `mountSystemAlert()` returns
// an unmount function.
import { api } from './api.js';
import { $, h, toast } from './dom.js';
import { fmtSince, fmtUntil, hasString, t } from './i18n.js';
import { personEl } from './people.js';
import { chime } from './sound.js';
import { state, subscribe } from './state.js';

/** A node not heard from this long is forgotten (each node repeats itself every minute while in trouble). */
const FORGET_MS = 150_000;

/** Node → {status, heardAt}. */
const nodes = new Map();
/** Troubles already toasted as red (`node|kind:name`, `*|kind:|since` for the city's), so a repeat does not pop again. */
const toasted = new Set();
/** A city-wide trouble no node tells any more, since when (it may be moving to another node). */
const toastGone = new Map();
const HANDOVER_MS = 30_000;
let open = false;
/**
 * Storm mode in the supervisor's own area, by storm category (`trouble` while panels are lost
 * together, `video_loss` while cameras are), as last read (`GET /api/storms`): absent not read yet,
 * null none in force, 'starting' while the supervisor's click is on its way (the button is disabled,
 * so a double click does not start two storms).
 */
const storms = new Map();
/** Minutes the badge's storm button demotes communication or video-loss troubles for. */
const STORM_MINUTES = 60;
/** Devices lost together → the storm category of their sites' tickets, and the button's words. */
const STORM_OF = {
  panels: {
    category: 'trouble',
    button: 'sysAlertStorm',
    on: 'sysAlertStormOn',
    reason: 'sysAlertStormReason',
  },
  cameras: {
    category: 'video_loss',
    button: 'sysAlertStormVideo',
    on: 'sysAlertStormVideoOn',
    reason: 'sysAlertStormVideoReason',
  },
};

/** Where a person goes in a sentence built by `t` (a character no string or name holds). */
const HOLE = '\u0000';

/** A sentence with `HOLE` in it, the person's element in its place. */
function withPerson(text, person) {
  const [before, after = ''] = text.split(HOLE);
  return [before, person, after];
}

/**
 * A sink's name in words (`bus:<node>` is the bus relay of one node of a city); `known` false for a
 * sink the console has no name for.
 */
export function sinkName(name) {
  const [base, node] = name.split(':');
  const key = `sysSink_${base}`;
  const known = hasString(key);
  const label = known ? t(key) : t('sysSinkOther');
  return { known, text: node ? t('sysSinkOnNode', { name: label, node }) : label };
}

/** Milliseconds as 系统状态 writes them: two decimals under 10, one under 100, whole above. */
export const ms = (v) => t('sysMs', { n: v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v) });

/** The recordings' storage in words: full (everything locked) or short of room; null when neither. */
export function storageSentence(short, full) {
  return full > 0 ? t('sysAlertStorageFull') : short > 0 ? t('sysAlertStorageShort') : null;
}

/** Recording's own faults in words (also 系统状态's recording tile). */
export function recordingSentences(failing, dropping) {
  return [
    failing > 0 ? t('sysAlertRecFailed', { n: failing }) : null,
    dropping > 0 ? t('sysAlertRecDropped', { n: dropping }) : null,
  ].filter(Boolean);
}

/** A span of seconds in words: "40 秒", "7 分钟". */
export const span = (s) =>
  s < 90
    ? t('sysSpanSeconds', { n: Math.max(1, Math.round(s)) })
    : t('sysSpanMinutes', { n: Math.round(s / 60) });

/** The sentences of devices lost together, anywhere and in one place, by kind. */
const LOST_SENTENCE = {
  panels: ['sysAlertPanelsLost', 'sysAlertPanelsLostIn'],
  cameras: ['sysAlertCamerasLost', 'sysAlertCamerasLostIn'],
};

/**
 * Panels or cameras (`kind`) lost together in words (also 系统状态's tiles); `where`, the name of the
 * jurisdiction most of them are in, when that narrows it down.
 */
export const lostSentence = (kind, n, of, spanSeconds, where) =>
  t(LOST_SENTENCE[kind][where ? 1 : 0], { n, of, span: span(spanSeconds), where });

/** One trouble as a duty officer reads it. */
export function troubleSentence(tr) {
  const f = tr.figures ?? {};
  if (tr.kind === 'database') return t('sysAlertDb');
  if (LOST_SENTENCE[tr.kind])
    return lostSentence(tr.kind, f.lost ?? 0, f.of ?? 0, f.spanSeconds ?? 0, tr.where?.name);
  if (tr.kind === 'storage') return storageSentence(f.short ?? 0, f.full ?? 0);
  if (tr.kind === 'recording')
    return recordingSentences(f.failing ?? 0, f.dropping ?? 0).join(t('sysListJoin'));
  if (tr.kind === 'wait')
    return tr.level === 'bad'
      ? t('sysAlertWaitBad', { max: ms(f.waitMaxMs ?? 0) })
      : t('sysAlertWaitWarn', { p99: ms(f.waitP99Ms ?? 0) });
  // No count of failures or age: the desk hears again only when the level changes (and each
  // minute), so a count would go stale; since when is beside it.
  const name = sinkName(tr.name ?? '').text;
  return tr.level === 'bad'
    ? t('sysAlertSinkBad', { name })
    : t('sysAlertSinkSlow', { name, n: f.behind ?? 0 });
}

/** A trouble's key within its node (the server's `troubleKey`). */
const keyOf = (tr) => `${tr.kind}:${tr.name ?? ''}`;
/**
 * Devices lost together are the city's: one node judges them, and when its lease moves the next
 * node tells the same trouble. Shown and chimed once, whichever node said it last.
 */
const cityWide = (tr) => tr.kind === 'panels' || tr.kind === 'cameras';
/** The key a red trouble is toasted under (the city's with when it began: the same one on any node). */
const toastKey = (node, tr) => (cityWide(tr) ? `*|${keyOf(tr)}|${tr.since}` : `${node}|${keyOf(tr)}`);

/** Every trouble heard and not forgotten, worst first, with its node. */
function troubles(now = Date.now()) {
  const out = [];
  /** City-wide kind → the one heard last, with when. */
  const city = new Map();
  for (const [node, { status, heardAt }] of nodes) {
    if (now - heardAt > FORGET_MS) {
      nodes.delete(node);
      continue;
    }
    for (const tr of status.troubles ?? []) {
      if (!cityWide(tr)) out.push({ ...tr, node });
      else if ((city.get(tr.kind)?.heardAt ?? -1) < heardAt)
        city.set(tr.kind, { tr: { ...tr, node }, heardAt });
    }
  }
  for (const { tr } of city.values()) out.push(tr);
  return out.sort((a, b) =>
    a.level === b.level ? a.since.localeCompare(b.since) : a.level === 'bad' ? -1 : 1,
  );
}

function render() {
  const badge = $('#sys-alert');
  if (!badge) return;
  const list = troubles();
  // Read again when devices are next lost together: a storm may have ended meanwhile.
  for (const kind of Object.keys(STORM_OF))
    if (!list.some((tr) => tr.kind === kind)) storms.delete(STORM_OF[kind].category);
  const level = list.some((x) => x.level === 'bad') ? 'bad' : list.length > 0 ? 'warn' : 'ok';
  badge.hidden = level === 'ok';
  badge.dataset.level = level;
  // Someone has taken charge of every trouble: still shown, no longer shouting.
  const allAcked = list.length > 0 && list.every((tr) => tr.ack);
  badge.className = `sys-alert sys-alert-${level}${allAcked ? ' sys-alert-acked' : ''}`;
  badge.dataset.acked = String(allAcked);
  badge.textContent = level === 'bad' ? `⚠ ${t('sysAlertBad')}` : t('sysAlertWarn');
  badge.title = list.map(troubleSentence).join('\n');
  badge.setAttribute('aria-expanded', String(open && level !== 'ok'));
  let panel = $('#sys-alert-panel');
  if (!open || level === 'ok') {
    panel?.remove();
    if (level === 'ok') open = false;
    return;
  }
  const several = nodes.size > 1;
  const supervises = ['supervisor', 'admin'].includes(state.user?.role);
  const items = list.map((tr) =>
    h(
      'li',
      {
        class: `sys-alert-item sys-${tr.level}`,
        dataset: { kind: tr.kind, level: tr.level, ...(tr.name ? { sink: tr.name } : {}) },
      },
      h(
        'span',
        { class: 'sys-alert-text' },
        // Devices lost together are the city's, whichever node judges them: no node named.
        several && !cityWide(tr)
          ? t('sysAlertOnNode', { node: tr.node, text: troubleSentence(tr) })
          : troubleSentence(tr),
      ),
      h('span', { class: 'muted sys-alert-since' }, t('sysAlertSince', { at: fmtSince(tr.since) })),
      tr.ack
        ? h('span', { class: 'sys-alert-acked-by' }, ackedBy(tr.ack))
        : supervises
          ? h(
              'button',
              { type: 'button', class: 'sys-alert-ack', onclick: () => takeCharge(tr) },
              t('sysAlertAck'),
            )
          : null,
      STORM_OF[tr.kind] && supervises ? stormControl(tr, STORM_OF[tr.kind]) : null,
    ),
  );
  const body = [
    h('h3', {}, level === 'bad' ? t('sysAlertBad') : t('sysAlertWarn')),
    h('ul', {}, items),
    h('p', { class: 'muted sys-alert-effect' }, effect(list)),
    // A supervisor already on 系统状态 needs no way to it.
    !supervises
      ? h('p', { class: 'sys-alert-call' }, allAcked ? t('sysAlertAllAcked') : t('sysAlertCall'))
      : document.body.dataset.view === 'system'
        ? null
        : h(
            'a',
            { href: '#/system', class: 'sys-alert-link', onclick: () => close() },
            t('sysAlertOpenPage'),
          ),
  ].filter(Boolean);
  if (!panel) {
    panel = h('div', { id: 'sys-alert-panel', class: 'sys-alert-panel card', role: 'dialog' });
    document.body.append(panel);
  }
  panel.replaceChildren(...body);
}

/**
 * What the troubles mean for the alarms themselves: lost panels and a silent database keep alarms
 * from arriving or being stored (take them by phone); slow decisions only delay them; lost cameras
 * leave them as ever but without pictures to check them by; the rest (sinks, recording, storage)
 * leave them as ever.
 */
function effect(list) {
  if (list.some((tr) => tr.kind === 'database' || tr.kind === 'panels')) return t('sysAlertAlarmsHit');
  if (list.some((tr) => tr.kind === 'wait')) return t('sysAlertAlarmsSlow');
  if (list.some((tr) => tr.kind === 'cameras')) return t('sysAlertVideoHit');
  return t('sysAlertNotHeld');
}

/**
 * Devices lost together: a supervisor demotes their sites' tickets in their area (communication
 * troubles for panels, video losses for cameras) to P4 for an hour in one click (storm mode, issue
 * 17), so the queue keeps the alarms on top while hundreds of tickets arrive; once it is on, who
 * turned it on and until when.
 */
function stormControl(tr, of) {
  const storm = storms.get(of.category);
  if (storm === undefined) {
    void readStorm(of.category);
    return null;
  }
  return h(
    'div',
    { class: 'sys-alert-storm-row' },
    storm && storm !== 'starting'
      ? h(
          'span',
          { class: 'sys-alert-storm-on' },
          // Who turned it on, by name as the rest of the console names people (the login on hover).
          withPerson(t(of.on, { at: fmtUntil(storm.endsAt), by: HOLE }), personEl(storm.people, storm.by)),
        )
      : h(
          'button',
          {
            type: 'button',
            class: 'sys-alert-storm',
            disabled: storm === 'starting',
            onclick: () => startStorm(tr, of),
          },
          storm === 'starting' ? t('sysAlertStormStarting') : t(of.button, { m: STORM_MINUTES }),
        ),
  );
}

/** The storm for `category` in force over the user's own area, if any. */
async function readStorm(category) {
  storms.set(category, null);
  let found = null;
  try {
    const { storms: list, people } = await api('/api/storms');
    const now = new Date().toISOString();
    found =
      list.find(
        (s) =>
          s.node === state.user?.scope &&
          s.categories.includes(category) &&
          !s.endedAt &&
          !s.releasedAt &&
          s.endsAt > now,
      ) ?? null;
    // Who turned it on is named from the people the answer carries (the login when they have none).
    if (found) found = { ...found, people };
  } catch {
    found = null;
  }
  // A click meanwhile wins over what was read before it.
  if (storms.get(category) === null) storms.set(category, found);
  render();
}

async function startStorm(tr, of) {
  if (storms.get(of.category) === 'starting') return;
  storms.set(of.category, 'starting');
  render();
  try {
    const storm = await api('/api/storms', {
      method: 'POST',
      body: {
        node: state.user.scope,
        categories: [of.category],
        action: 'demote',
        minutes: STORM_MINUTES,
        reason: t(of.reason, { n: tr.figures?.lost ?? 0 }),
      },
    });
    // This desk turned it on: named as the top bar names its user.
    const byName = state.user?.displayName || storm.by;
    storms.set(of.category, { ...storm, people: { [storm.by]: byName } });
    toast(t(of.on, { at: fmtUntil(storm.endsAt), by: byName }), 'info');
  } catch (err) {
    storms.set(of.category, null);
    // Another supervisor was quicker: say so, and show theirs.
    if (err?.code === 'storm_in_force') {
      toast(err.message, 'info');
      await readStorm(of.category);
      return;
    }
    toast(err instanceof Error ? err.message : String(err), 'error');
  }
  render();
}

/**
 * The troubles someone has taken charge of, as every desk heard them: 系统状态's banner says by whom
 * (it reads `/api/health`, which knows nothing of acknowledgements).
 */
export const takenInCharge = () =>
  troubles()
    .filter((tr) => tr.ack)
    .map((tr) => ({ text: troubleSentence(tr), ack: tr.ack }));

/** "{name} 已负责处理（05:01:00）", the name as the user gave it (marked verbatim). */
export function ackedBy(ack) {
  return withPerson(
    t('sysAlertAckedBy', { name: HOLE, at: fmtSince(ack.at) }),
    h('span', { class: 'person', dataset: { verbatim: '' } }, ack.byName),
  );
}

/** A supervisor or admin takes charge of a trouble: every desk is told by the trouble's node. */
async function takeCharge(tr) {
  try {
    const res = await api('/api/system/troubles/ack', {
      method: 'POST',
      body: { node: tr.node, kind: tr.kind, ...(tr.name ? { name: tr.name } : {}), since: tr.since },
    });
    // Shown at once here, for the trouble as its node tells it now (the answer's since: this desk may
    // have held an earlier start); the node tells every desk at once too.
    const known = nodes.get(tr.node);
    const mine = known?.status.troubles?.find((x) => keyOf(x) === keyOf(tr));
    if (mine) Object.assign(mine, { since: res.since, ack: res.ack });
    render();
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), 'error');
  }
}

function close() {
  open = false;
  render();
}

function heard(status) {
  if (!status?.node) return;
  // A node stopping says so: its troubles go with it (not left until it is forgotten).
  if (status.stopped) nodes.delete(status.node);
  else nodes.set(status.node, { status, heardAt: Date.now() });
  const red = new Map(
    (status.troubles ?? []).filter((tr) => tr.level === 'bad').map((tr) => [toastKey(status.node, tr), tr]),
  );
  for (const [key, tr] of red)
    if (!toasted.has(key) && !tr.ack) {
      toasted.add(key);
      toast(t('sysAlertToast', { text: troubleSentence(tr) }), 'error');
      chime();
    }
  // One that is no longer red on any node is toasted again if it turns red later (a city-wide one
  // the old node lets go of is still red on the node judging it now).
  const redAnywhere = new Set();
  for (const [node, { status: st }] of nodes)
    for (const tr of st.troubles ?? []) if (tr.level === 'bad') redAnywhere.add(toastKey(node, tr));
  const now = Date.now();
  for (const key of toasted) {
    if (redAnywhere.has(key)) toastGone.delete(key);
    // A city-wide one is let go by one node a few seconds before the next tells it: not chimed again.
    else if (!key.startsWith('*|') || now - (toastGone.get(key) ?? now) > HANDOVER_MS) {
      toasted.delete(key);
      toastGone.delete(key);
    } else if (!toastGone.has(key)) toastGone.set(key, now);
  }
  render();
}

export function mountSystemAlert() {
  if (!state.user || state.user.role === 'site') return () => {};
  const badge = $('#sys-alert');
  const onClick = () => {
    open = !open;
    render();
  };
  const onKey = (e) => {
    if (e.key === 'Escape' && open) close();
  };
  badge?.addEventListener('click', onClick);
  document.addEventListener('keydown', onKey);
  const off = subscribe((kind, payload) => {
    if (kind === 'system:status') heard(payload);
  });
  // Forget nodes that went quiet (a node stopped while in trouble).
  const timer = setInterval(render, 30_000);
  render();
  return () => {
    off();
    clearInterval(timer);
    badge?.removeEventListener('click', onClick);
    document.removeEventListener('keydown', onKey);
    nodes.clear();
    toasted.clear();
    toastGone.clear();
    open = false;
    storms.clear();
    render();
  };
}

/** Re-render in the new language (called on a language change). */
export const renderSystemAlert = render;
