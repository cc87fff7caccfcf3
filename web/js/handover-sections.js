// The sections of the shift handover page, as tables that print on paper: what is open, what
// was escalated, what each unit is doing, the shift's figures and the notes for the next shift.
import { unitStateText } from './dispatch.js';
import { h } from './dom.js';
import { fmtAge, fmtDateTime, fmtTime, joinList, t } from './i18n.js';
import { unitKind } from './names.js';
import { personEl } from './people.js';
import { escalationsUp, holderOf } from './queue-order.js';
import { jurisdictionName, siteName, state } from './state.js';
import { incidentType, priorityBadge, stateChip, stepLate } from './widgets.js';

function table(id, headers, rows, emptyKey) {
  if (rows.length === 0) return h('div', { class: 'muted', id }, t(emptyKey));
  return h(
    'table',
    { class: 'grid', id },
    h(
      'tr',
      {},
      headers.map((k) => h('th', {}, t(k))),
    ),
    rows,
  );
}

const unitsOf = (inc) =>
  joinList(
    (inc.units ?? []).map((u) => state.units.find((x) => x.id === u.unit)?.name ?? t('police_someUnit')),
  );

export function openSection(incidents) {
  return h(
    'section',
    { class: 'card handover-section' },
    h('h3', {}, t('hoOpen'), h('span', { class: 'count' }, String(incidents.length))),
    table(
      'ho-open',
      ['colPriority', 'colTime', 'colSite', 'colType', 'colState', 'holder', 'units'],
      incidents.map((i) =>
        h(
          'tr',
          { dataset: { id: i.id } },
          h('td', {}, priorityBadge(i.priority)),
          h('td', {}, fmtDateTime(i.openedAt), h('div', { class: 'muted small' }, fmtAge(i.openedAt))),
          h('td', { class: 'ho-word' }, siteName(i.site)),
          h('td', { class: 'ho-word' }, incidentType(i)),
          h('td', {}, stateChip(i.state)),
          h('td', {}, holderOf(i) ? personEl(i.people, holderOf(i)) : t('nobodyHolds')),
          h('td', {}, unitsOf(i) || t('noData')),
        ),
      ),
      'hoNoneOpen',
    ),
  );
}

export function maintenanceSection(tickets) {
  return h(
    'section',
    { class: 'card handover-section' },
    h('h3', {}, t('hoTickets'), h('span', { class: 'count' }, String(tickets.length))),
    table(
      'ho-tickets',
      ['colSite', 'colType', 'since_col'],
      tickets.map((i) =>
        h(
          'tr',
          { dataset: { id: i.id } },
          h('td', { class: 'ho-word' }, siteName(i.site)),
          h('td', { class: 'ho-word' }, incidentType(i)),
          h('td', {}, `${fmtDateTime(i.openedAt)} · ${fmtAge(i.openedAt)}`),
        ),
      ),
      'hoNoneTickets',
    ),
  );
}

export function escalatedSection(incidents, shift) {
  const rows = incidents
    .map((i) => ({
      inc: i,
      steps: escalationsUp(i).filter((e) => Date.parse(e.at) >= shift.start.getTime()),
    }))
    .filter((x) => x.steps.length > 0)
    .sort((a, b) => a.steps[0].at.localeCompare(b.steps[0].at));
  return h(
    'section',
    { class: 'card handover-section' },
    h('h3', {}, t('hoEscalated'), h('span', { class: 'count' }, String(rows.length))),
    table(
      'ho-escalated',
      ['colPriority', 'colSite', 'colType', 'hoEscalatedAt', 'hoEscalatedTo', 'colState'],
      rows.map(({ inc, steps }) =>
        h(
          'tr',
          { dataset: { id: inc.id } },
          h('td', {}, priorityBadge(inc.priority)),
          h('td', { class: 'ho-word' }, siteName(inc.site)),
          h('td', { class: 'ho-word' }, incidentType(inc)),
          h(
            'td',
            {},
            steps.flatMap((s, n) => [n > 0 ? t('listSep') : '', fmtTime(s.at), stepLate(s)]),
          ),
          h(
            'td',
            { class: 'ho-word' },
            joinList([...new Set(steps.map((s) => jurisdictionName(s.jurisdiction)))]),
          ),
          h('td', {}, stateChip(inc.state)),
        ),
      ),
      'hoNoneEscalated',
    ),
  );
}

export function unitsSection(units) {
  const order = { on_scene: 0, dispatched: 1, available: 2 };
  const list = [...units].sort(
    (a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || a.name.localeCompare(b.name, 'zh-CN'),
  );
  return h(
    'section',
    { class: 'card handover-section' },
    h('h3', {}, t('hoUnits')),
    table(
      'ho-units',
      ['units', 'unitKindCol', 'colState', 'jurisdiction'],
      list.map((u) =>
        h(
          'tr',
          { dataset: { unit: u.id, status: u.status ?? 'available' } },
          h('td', {}, u.name),
          h('td', {}, unitKind(u.kind)),
          h('td', { class: `unit-${u.status ?? 'available'}` }, unitStateText(u)),
          h('td', {}, jurisdictionName(u.jurisdiction)),
        ),
      ),
      'noData',
    ),
  );
}

export function figuresSection(shiftIncidents) {
  const alarms = shiftIncidents.filter((i) => i.kind !== 'maintenance');
  const n = (pred) => alarms.filter(pred).length;
  const acked = alarms
    .map((i) => (i.transitions ?? []).find((tr) => tr.to === 'acknowledged'))
    .filter(Boolean);
  const figures = [
    ['hoAlarms', alarms.length],
    ['hoFalse', n((i) => i.state === 'false_alarm')],
    ['hoResolved', n((i) => i.state === 'resolved')],
    ['hoStillOpen', n((i) => !['resolved', 'false_alarm'].includes(i.state))],
    ['hoTicketsOpened', shiftIncidents.length - alarms.length],
    ['hoAcked', acked.length],
  ];
  return h(
    'section',
    { class: 'card handover-section figures', id: 'ho-figures' },
    h('h3', {}, t('hoFigures')),
    h(
      'dl',
      { class: 'figure-list' },
      figures.map(([k, v]) => [h('dt', {}, t(k)), h('dd', { dataset: { figure: k } }, String(v))]),
    ),
  );
}

/** The shift's handover notes, newest first; `people` names their authors (GET /api/console/handover-notes). */
export function notesList(notes, people) {
  if (notes.length === 0) return h('div', { class: 'muted', id: 'ho-notes' }, t('hoNoNotes'));
  return h(
    'ol',
    { class: 'ho-notes', id: 'ho-notes' },
    notes.map((n) =>
      h(
        'li',
        { dataset: { note: String(n.id) } },
        h(
          'div',
          { class: 'muted small' },
          `${fmtDateTime(n.createdAt)} · `,
          personEl(people, n.author),
          ` · ${jurisdictionName(n.jurisdiction)}`,
        ),
        h('div', { class: 'ho-note-text' }, n.text),
      ),
    ),
  );
}
