// The alarm queue: three tabs (alarms, maintenance, closed) with counts; unacknowledged alarms on
// top by priority then age, alarms in progress below; escalated and overdue rows stand out; each
// row says who holds it. Keyboard: J/K move, A/D/R/F act, Enter opens, 1/2/3 switch tabs.
import { detailOf, wantDetails } from './details.js';
import { fill, h, reconcile } from './dom.js';
import { fmtAge, fmtTime, t } from './i18n.js';
import { icon } from './icons.js';
import { snapshotImg } from './live.js';
import { deviceName, ruleName } from './names.js';
import { outcomeText } from './outcome-picker.js';
import { personName } from './people.js';
import { pushPref } from './prefs.js';
import { holderOf, overdueSeconds, queueOf, TABS, tabCounts } from './queue-order.js';

import { escalatedBadge, fitEscalations, holderLine, overdueBadge, queueRow } from './queue-row.js';
import { isMuted, onSoundChange } from './sound.js';
import { camerasOfSite, jurisdictionName, siteName, siteOf, state, subscribe } from './state.js';
import {
  actionButtons,
  confirmAndAct,
  dialogOpen,
  incidentType,
  incidentZone,
  panelState,
  priorityBadge,
  stateChip,
} from './widgets.js';
import { workflowStatus } from './workflow-status.js';

const FILTER_KEY = 'sharpeyes.queueFilter';
const KEYS = { a: 'acknowledged', d: 'dispatched', r: 'resolved', f: 'false_alarm' };
// Older console versions saved `open` / `all`.
const LEGACY_TAB = { open: 'alarms', all: 'closed' };

function savedTab() {
  const v = localStorage.getItem(FILTER_KEY) ?? 'alarms';
  const tab = LEGACY_TAB[v] ?? v;
  return TABS.includes(tab) ? tab : 'alarms';
}

export function mount(root) {
  let tab = savedTab();
  let selected;
  const list = h('div', { class: 'queue-list', role: 'listbox', tabindex: 0, id: 'queue-list' });
  const side = h('aside', { class: 'queue-side', id: 'queue-side' });
  const wfStatus = workflowStatus(); // issue 17: storms, runaway panels, sites on test
  const strip = h('div', { class: 'alarm-strip', id: 'alarm-strip' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });

  const all = () => [...state.incidents.values()];
  const visible = () => queueOf(all(), tab);

  function setTab(next) {
    if (next === tab) return;
    tab = next;
    localStorage.setItem(FILTER_KEY, tab);
    pushPref('queueFilter', tab);
    selected = undefined;
    render();
  }

  function renderTabs() {
    const counts = tabCounts(all());
    const label = { alarms: 'tabAlarms', maintenance: 'tabMaintenance', closed: 'tabClosed' };
    fill(
      tabs,
      ...TABS.map((name, i) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': name === tab ? 'true' : 'false',
            class: name === tab ? 'tab active' : 'tab',
            dataset: { tab: name },
            onclick: () => setTab(name),
          },
          h('kbd', {}, String(i + 1)),
          ` ${t(label[name])}`,
          name === 'closed'
            ? null
            : h('span', { class: 'count', dataset: { count: counts[name] } }, counts[name]),
        ),
      ),
    );
  }

  function renderStrip() {
    const unacked = all().filter((i) => i.state === 'new' && i.kind !== 'maintenance');
    const top = unacked.reduce((p, i) => Math.min(p, i.priority), 9);
    strip.className = `alarm-strip ${unacked.length > 0 ? `hot prio-bg-${top}` : 'calm'}`;
    fill(
      strip,
      h('span', { class: 'bell' }, icon(unacked.length > 0 ? (isMuted() ? 'bellOff' : 'bell') : 'check')),
      h(
        'span',
        { class: 'strip-text', onclick: () => setTab('alarms') },
        unacked.length > 0
          ? `${t('unacked', { n: unacked.length })}${isMuted() ? ` · ${t('muted')}` : ` · ${t('ringing')}`}`
          : t('allClear'),
      ),
      tabs,
    );
  }

  const open = (id) => {
    location.hash = `#/incident/${id}`;
  };

  function renderList() {
    const items = visible();
    wantDetails(items);
    if (!selected || !items.some((i) => i.id === selected)) selected = items[0]?.id;
    const rows = [];
    let section;
    for (const inc of items) {
      // Alarms tab: a divider where the unacknowledged end and the ones in progress begin.
      const s = tab === 'alarms' ? (inc.state === 'new' ? 'waiting' : 'progress') : undefined;
      if (s && s !== section) {
        const n = items.filter((i) => (i.state === 'new') === (s === 'waiting')).length;
        rows.push(sectionOf(s, n));
        section = s;
      }
      rows.push(rowOf(inc));
    }
    const empty = {
      alarms: 'queueEmptyAlarms',
      maintenance: 'queueEmptyMaintenance',
      closed: 'queueEmptyClosed',
    };
    reconcile(list, rows.length > 0 ? rows : [h('div', { class: 'empty' }, t(empty[tab]))]);
    fitEscalations(list);
    for (const id of rowCache.keys()) if (!state.incidents.has(id)) rowCache.delete(id);
    for (const el of list.querySelectorAll('.age')) el.textContent = fmtAge(el.dataset.at);
  }

  /**
   * A row is built again only when what it shows changed (its incident, its event details, the
   * panels, the minute of its overdue badge); otherwise the element is reused and only its age
   * text and selection are brought up to date. With 300 open alarms a full rebuild on every change
   * kept the page busy for hundreds of milliseconds per alarm (bench/console-busy-queue.ts).
   */
  const rowCache = new Map();
  const sections = new Map();
  /** The divider of a section: one element per section, its count updated in place. */
  function sectionOf(s, n) {
    const text = `${t(s === 'waiting' ? 'sectionWaiting' : 'sectionInProgress')} · ${n}`;
    let el = sections.get(s);
    if (!el) {
      el = h('div', { class: `queue-section section-${s}` });
      sections.set(s, el);
    }
    if (el.textContent !== text) el.textContent = text;
    return el;
  }

  let panelsVersion = 0;
  function rowOf(inc) {
    const ev = inc.events?.[0];
    const sig = [
      inc.updatedAt,
      inc.state,
      inc.priority,
      (inc.escalations ?? []).length,
      holderOf(inc) ?? '',
      personName(inc.people, holderOf(inc) ?? ''),
      ev && detailOf(ev.key) !== undefined ? 1 : 0,
      Math.floor(overdueSeconds(inc) / 60),
      overdueSeconds(inc) > 0 ? 1 : 0,
      panelsVersion,
    ].join('|');
    let cached = rowCache.get(inc.id);
    if (cached?.sig !== sig) {
      cached = { sig, el: queueRow(inc, { selected: false, onSelect: select, onOpen: open }) };
      rowCache.set(inc.id, cached);
    }
    const on = inc.id === selected;
    cached.el.classList.toggle('selected', on);
    cached.el.setAttribute('aria-selected', on ? 'true' : 'false');
    return cached.el;
  }

  function renderSide() {
    const inc = selected ? state.incidents.get(selected) : undefined;
    if (!inc) {
      fill(side, h('div', { class: 'empty' }, t('noIncidents')));
      return;
    }
    const site = siteOf(inc.site);
    const cam = camerasOfSite(inc.site)[0];
    fill(
      side,
      h(
        'div',
        { class: `side-head p${inc.priority}` },
        priorityBadge(inc.priority),
        h(
          'div',
          {},
          h('h2', {}, siteName(inc.site)),
          h('div', { class: 'muted' }, site?.address ?? jurisdictionName(inc.jurisdiction)),
        ),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('colType')),
        h('dd', {}, `${incidentType(inc)} ${incidentZone(inc)}`),
        h('dt', {}, t('ruleLabel')),
        h('dd', {}, ruleName(inc.rule)),
        h('dt', {}, t('colState')),
        h('dd', {}, stateChip(inc.state), ' ', overdueBadge(inc), ' ', escalatedBadge(inc)),
        inc.outcome ? h('dt', {}, t(inc.state === 'false_alarm' ? 'pickCause' : 'pickOutcome')) : null,
        inc.outcome ? h('dd', { class: 'side-outcome' }, outcomeText(inc.outcome)) : null,
        h('dt', {}, t('holder')),
        h('dd', {}, holderLine(inc)),
        h('dt', {}, t('colTime')),
        h('dd', {}, `${fmtTime(inc.openedAt)} · ${fmtAge(inc.openedAt)}`),
        h('dt', {}, t('reportedBy')),
        h('dd', {}, deviceName(inc.events?.[0]?.device)),
        h('dt', {}, t('panel')),
        h('dd', {}, panelState(inc.site, { long: true })),
        h('dt', {}, t('contacts')),
        h(
          'dd',
          {},
          (site?.contacts ?? []).length > 0
            ? site.contacts.map((c) => h('div', {}, `${c.name} · ${c.phone}`))
            : t('noData'),
        ),
      ),
      cam ? sideSnap(cam.id) : null,
      h('div', { class: 'side-actions' }, actionButtons(inc, KEYS)),
      h(
        'a',
        { class: 'button primary open-incident', href: `#/incident/${inc.id}` },
        h('kbd', {}, 'Enter'),
        ' ',
        t('open'),
      ),
    );
  }

  // The side snapshot is fetched when the selected camera changes, not on every queue update
  // (each fetch of footage is an audit entry).
  let snap;
  function sideSnap(cameraId) {
    if (snap?.camera !== cameraId)
      snap = { camera: cameraId, el: h('div', { class: 'side-snap' }, snapshotImg(cameraId).el) };
    return snap.el;
  }

  function render() {
    renderTabs();
    renderStrip();
    renderList();
    renderSide();
  }

  function select(id) {
    selected = id;
    for (const el of list.querySelectorAll('.row')) {
      const on = el.dataset.id === id;
      el.classList.toggle('selected', on);
      el.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on) el.scrollIntoView({ block: 'nearest' });
    }
    renderSide();
  }

  function move(delta) {
    const items = visible();
    const i = items.findIndex((x) => x.id === selected);
    const next = items[Math.max(0, Math.min(items.length - 1, (i < 0 ? 0 : i) + delta))];
    if (next) select(next.id);
  }

  function onKey(e) {
    if (dialogOpen() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLElement && e.target.closest('input, textarea, select')) return;
    const key = e.key.toLowerCase();
    if (key === 'j' || e.key === 'ArrowDown') move(1);
    else if (key === 'k' || e.key === 'ArrowUp') move(-1);
    else if (['1', '2', '3'].includes(key)) setTab(TABS[Number(key) - 1]);
    else if (e.key === 'Enter' && selected) open(selected);
    else if (KEYS[key] && selected) {
      const inc = state.incidents.get(selected);
      if (inc) void confirmAndAct(inc, KEYS[key]);
    } else return;
    e.preventDefault();
  }

  root.append(
    h(
      'div',
      { class: 'queue-view' },
      h(
        'section',
        { class: 'queue-main' },
        strip,
        wfStatus.el,
        h(
          'div',
          { class: 'queue-head row' },
          ['colPriority', 'colTime', 'colSite', 'colType', 'colState', 'colPanel'].map((k) =>
            h('span', {}, t(k)),
          ),
        ),
        list,
        h(
          'div',
          { class: 'queue-foot' },
          ['A', 'D', 'R', 'F', 'J/K', '1/2/3', 'Enter', 'M', '?'].map((k) => h('kbd', {}, k)),
          h('span', { class: 'muted' }, ` ${t('help')}: ?`),
        ),
      ),
      side,
    ),
  );
  render();
  document.addEventListener('keydown', onKey);
  const off = subscribe((kind, payload) => {
    if (kind === 'incident:new' && payload.kind !== 'maintenance') {
      // A new alarm brings the alarms tab forward and takes the selection unless the operator is
      // already on a more urgent unacknowledged one, so A acknowledges what just rang.
      if (tab !== 'alarms') setTab('alarms');
      const current = selected ? state.incidents.get(selected) : undefined;
      if (current?.state !== 'new' || payload.priority < current.priority) selected = payload.id;
    }
    if (kind === 'panels' || kind === 'reference') panelsVersion++;
    if (['incident', 'incidents', 'panels', 'reference', 'incident:new', 'details'].includes(kind)) soon();
  });
  // Changes that arrive together (an incident's update and its `incident:new`) draw the queue once.
  let pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      render();
    });
  }

  const offSound = onSoundChange(renderStrip);
  // Ages and overdue badges move with the clock: the list is drawn again every 5 s.

  const ages = setInterval(render, 5000);
  // A wider or narrower list (the window, the side panel) gives the chips' names more or less room.
  const resized = new ResizeObserver(() => fitEscalations(list));
  resized.observe(list);
  const view = root.querySelector('.queue-view');
  const blink = setInterval(() => view.classList.toggle('blink'), 500);
  return () => {
    document.removeEventListener('keydown', onKey);
    off();
    offSound();
    clearInterval(ages);
    clearInterval(blink);
    resized.disconnect();
    wfStatus.destroy();
  };
}
