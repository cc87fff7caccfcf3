// The alarm queue: fixed-height rows (no layout shift when alarms arrive), unacknowledged alarms
// flash until acknowledged, escalated ones carry a stripe; keyboard: J/K move, A/D/R/F act, Enter opens.

import { fill, h } from './dom.js';
import { fmtAge, fmtTime, t } from './i18n.js';
import { icon } from './icons.js';
import { snapshotImg } from './live.js';
import { pushPref } from './prefs.js';
import { isMuted, onSoundChange } from './sound.js';
import { camerasOfSite, isOpen, jurisdictionName, siteName, siteOf, state, subscribe } from './state.js';
import {
  actionButtons,
  confirmAndAct,
  dialogOpen,
  escalationBadge,
  incidentType,
  incidentZone,
  isEscalated,
  panelState,
  priorityBadge,
  stateChip,
} from './widgets.js';

const FILTER_KEY = 'sharpeyes.queueFilter';
const KEYS = { a: 'acknowledged', d: 'dispatched', r: 'resolved', f: 'false_alarm' };

export function sortIncidents(list) {
  return list.sort((a, b) => {
    const oa = isOpen(a) ? 0 : 1;
    const ob = isOpen(b) ? 0 : 1;
    if (oa !== ob) return oa - ob;
    if (oa === 1) return b.updatedAt.localeCompare(a.updatedAt);
    const na = a.state === 'new' ? 0 : 1;
    const nb = b.state === 'new' ? 0 : 1;
    return na - nb || a.priority - b.priority || b.openedAt.localeCompare(a.openedAt);
  });
}

export function mount(root) {
  let filter = localStorage.getItem(FILTER_KEY) === 'all' ? 'all' : 'open';
  let selected;
  const list = h('div', { class: 'queue-list', role: 'listbox', tabindex: 0, id: 'queue-list' });
  const side = h('aside', { class: 'queue-side', id: 'queue-side' });
  const strip = h('div', { class: 'alarm-strip', id: 'alarm-strip' });
  const tabs = h('div', { class: 'tabs' });

  const visible = () =>
    sortIncidents([...state.incidents.values()].filter((i) => filter === 'all' || isOpen(i)));

  function renderTabs() {
    fill(
      tabs,
      ...['open', 'all'].map((f) =>
        h(
          'button',
          {
            type: 'button',
            class: f === filter ? 'tab active' : 'tab',
            onclick: () => {
              filter = f;
              localStorage.setItem(FILTER_KEY, f);
              pushPref('queueFilter', f);
              render();
            },
          },
          t(f === 'open' ? 'queueOpen' : 'queueAll'),
        ),
      ),
    );
  }

  function renderStrip() {
    const unacked = [...state.incidents.values()].filter(
      (i) => i.state === 'new' && i.kind !== 'maintenance',
    );
    const top = unacked.reduce((p, i) => Math.min(p, i.priority), 9);
    strip.className = `alarm-strip ${unacked.length > 0 ? `hot prio-bg-${top}` : 'calm'}`;
    fill(
      strip,
      h('span', { class: 'bell' }, icon(unacked.length > 0 ? (isMuted() ? 'bellOff' : 'bell') : 'check')),
      h(
        'span',
        { class: 'strip-text' },
        unacked.length > 0
          ? `${t('unacked', { n: unacked.length })}${isMuted() ? ` · ${t('muted')}` : ` · ${t('ringing')}`}`
          : t('allClear'),
      ),
      tabs,
    );
  }

  function row(inc) {
    const site = siteOf(inc.site);
    const cls = [
      'row',
      `state-${inc.state}`,
      `p${inc.priority}`,
      isEscalated(inc) ? 'escalated' : '',
      inc.id === selected ? 'selected' : '',
    ];
    return h(
      'div',
      {
        class: cls.join(' '),
        role: 'option',
        'aria-selected': inc.id === selected ? 'true' : 'false',
        dataset: { id: inc.id, state: inc.state, site: inc.site, kind: inc.kind },
        onclick: () => select(inc.id),
        ondblclick: () => {
          location.hash = `#/incident/${inc.id}`;
        },
      },
      h('span', { class: 'c-prio' }, priorityBadge(inc.priority)),
      h(
        'span',
        { class: 'c-time' },
        h('b', {}, fmtTime(inc.openedAt)),
        h('small', { class: 'age', dataset: { at: inc.openedAt } }, fmtAge(inc.openedAt)),
      ),
      h(
        'span',
        { class: 'c-site' },
        h('b', {}, siteName(inc.site)),
        h('small', {}, site?.address ?? jurisdictionName(inc.jurisdiction)),
      ),
      h('span', { class: 'c-type' }, h('b', {}, incidentType(inc)), h('small', {}, incidentZone(inc))),
      h('span', { class: 'c-state' }, stateChip(inc.state), escalationBadge(inc)),
      h('span', { class: 'c-panel' }, panelState(inc.site)),
    );
  }

  function renderList() {
    const items = visible();
    if (!selected || !items.some((i) => i.id === selected)) selected = items[0]?.id;
    fill(list, ...(items.length > 0 ? items.map(row) : [h('div', { class: 'empty' }, t('noIncidents'))]));
  }

  function renderSide() {
    const inc = selected ? state.incidents.get(selected) : undefined;
    if (!inc) {
      fill(side, h('div', { class: 'empty' }, t('noIncidents')));
      return;
    }
    const site = siteOf(inc.site);
    const cam = camerasOfSite(inc.site)[0];
    const actions = actionButtons(inc, KEYS);
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
        h('dt', {}, t('colState')),
        h('dd', {}, stateChip(inc.state), ' ', escalationBadge(inc)),
        h('dt', {}, t('colTime')),
        h('dd', {}, `${fmtTime(inc.openedAt)} · ${fmtAge(inc.openedAt)}`),
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
      h('div', { class: 'side-actions' }, actions),
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
    else if (e.key === 'Enter' && selected) location.hash = `#/incident/${selected}`;
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
          ['A', 'D', 'R', 'F', 'J/K', 'Enter', 'M', '?'].map((k) => h('kbd', {}, k)),
          h('span', { class: 'muted' }, ` ${t('help')}: ?`),
        ),
      ),
      side,
    ),
  );
  render();
  document.addEventListener('keydown', onKey);
  const off = subscribe((kind, payload) => {
    // A new alarm takes the selection unless the operator is already on an unacknowledged one,
    // so A acknowledges what just rang without first hunting for it.
    if (kind === 'incident:new' && payload.kind !== 'maintenance') {
      const current = selected ? state.incidents.get(selected) : undefined;
      if (current?.state !== 'new' || payload.priority < current.priority) selected = payload.id;
    }
    if (['incident', 'incidents', 'panels', 'reference', 'incident:new'].includes(kind)) render();
  });
  const offSound = onSoundChange(renderStrip);
  const ages = setInterval(() => {
    for (const el of list.querySelectorAll('.age')) el.textContent = fmtAge(el.dataset.at);
  }, 5000);
  return () => {
    document.removeEventListener('keydown', onKey);
    off();
    offSound();
    clearInterval(ages);
  };
}
