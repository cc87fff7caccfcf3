// The shift handover: what is open, what was escalated this shift, what each unit is doing, the
// shift's figures, and notes for the next shift kept on the server (GET/POST
// /api/console/handover-notes). Printable: the print style drops the console's chrome.
import { api, optional } from './api.js';
import { wantDetails } from './details.js';
import { fill, h, toast } from './dom.js';
import { noteBox } from './form-checks.js';
import {
  escalatedSection,
  figuresSection,
  maintenanceSection,
  notesList,
  openSection,
  unitsSection,
} from './handover-sections.js';
import { fmtDateTime, labelled, t } from './i18n.js';
import { icon } from './icons.js';
import { scopeName } from './names.js';
import { queueOf } from './queue-order.js';
import { previousShift, shiftOf } from './shift.js';
import { loadUnits, state, subscribe } from './state.js';
import { canAct } from './widgets.js';

/** Matches the server's limit (src/console/handover-routes.ts). */
const NOTE_MAX = 2000;

export function mount(root) {
  const shift = shiftOf();
  let shiftIncidents = [];
  let notes = [];
  let people = {};
  let dead = false;
  const page = h('div', { class: 'page handover-view', id: 'handover-view' });
  root.append(page);
  const box = canAct()
    ? noteBox({
        max: NOTE_MAX,
        rows: 3,
        name: 'handover',
        required: true,
        placeholder: t('hoNotePlaceholder'),
      })
    : undefined;

  async function load() {
    // Notes of this shift and the one before: what the outgoing shift wrote is what this one reads.
    const since = previousShift(shift).start.toISOString();
    const [list, notesRes] = await Promise.all([
      api(`/api/incidents?since=${encodeURIComponent(shift.start.toISOString())}&limit=1000`),
      optional(`/api/console/handover-notes?since=${encodeURIComponent(since)}`),
      loadUnits().catch((err) => console.warn('console: units', err)),
    ]);
    shiftIncidents = list?.incidents ?? [];
    notes = notesRes?.notes ?? [];
    people = notesRes?.people ?? {};
    if (!dead) render();
  }

  async function addNote(e) {
    e.preventDefault();
    const checked = box.check();
    if (!checked.ok) return;
    try {
      await api('/api/console/handover-notes', {
        method: 'POST',
        body: { text: checked.text, shift: shift.key },
      });
      box.clear();
      toast(t('hoNoteSaved'));
      await load();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function render() {
    const all = new Map([...state.incidents.values(), ...shiftIncidents].map((i) => [i.id, i]));
    const incidents = [...all.values()];
    wantDetails(incidents);
    const kind = t(shift.kind === 'day' ? 'shiftDay' : 'shiftNight');
    fill(
      page,
      h(
        'header',
        { class: 'handover-head' },
        h(
          'div',
          {},
          h('h1', {}, `${t('hoTitle')} · ${scopeName(state.user)}`),
          h(
            'div',
            { class: 'muted' },
            t('hoShift', {
              kind,
              from: fmtDateTime(shift.start.toISOString()),
              to: fmtDateTime(shift.end.toISOString()),
            }),
          ),
          h(
            'div',
            { class: 'muted small print-only' },
            t('hoPrinted', { time: fmtDateTime(new Date().toISOString()), who: state.user?.username ?? '' }),
          ),
        ),
        h(
          'button',
          { type: 'button', class: 'primary no-print', id: 'ho-print', onclick: () => window.print() },
          icon('printer'),
          ` ${t('hoPrint')}`,
        ),
      ),
      h(
        'div',
        { class: 'handover-grid' },
        openSection(queueOf(incidents, 'alarms')),
        escalatedSection(incidents, shift),
        unitsSection(state.units),
        figuresSection(shiftIncidents),
        maintenanceSection(queueOf(incidents, 'maintenance')),
        h(
          'section',
          { class: 'card handover-section notes-section' },
          h('h3', {}, t('hoNotes')),
          notesList(notes, people),
          box
            ? h(
                'form',
                { class: 'note-form no-print', id: 'ho-note-form', onsubmit: addNote },
                box.el,
                h('button', { type: 'submit', class: 'primary' }, t('hoAddNote')),
              )
            : null,
        ),
      ),
      h(
        'footer',
        { class: 'handover-sign print-only' },
        h('span', {}, labelled(t('hoOutgoing'))),
        h('span', {}, labelled(t('hoIncoming'))),
        h('span', {}, labelled(t('hoSignedAt'))),
      ),
    );
  }

  render();
  void load().catch((err) => toast(err.message, 'error'));
  const off = subscribe((kind) => {
    if (['incident', 'incidents', 'reference', 'details'].includes(kind)) render();
  });
  return () => {
    dead = true;
    off();
  };
}
