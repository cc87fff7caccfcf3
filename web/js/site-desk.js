// Issue 17: one site as the desk manages it (#/sitedesk/<site>): put the site or one panel on test
// for N minutes with a reason and end it (the events it took are listed with the test badge), and
// the opening hours with the temporary changes the desk enters (a date or dates, open/close or
// closed all day, a reason) and removes.
import { api } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtDateTime, fmtUntil, joinList, labelled, t } from './i18n.js';
import { deviceName, eventText, panelLabel } from './names.js';
import { personEl } from './people.js';
import { loadPanels, siteName, state, subscribe } from './state.js';
import { testBadge } from './workflow-status.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const field = (label, input) => h('label', { class: 'wf-field' }, h('span', {}, label), input);

function hoursText(hours) {
  return hours === 'closed' || !hours ? t('wfClosedAllDay') : joinList(hours.split(','));
}

export function mount(root, [siteId]) {
  const page = h('div', { class: 'page site-desk', id: 'site-desk', dataset: { site: siteId } });
  root.append(page);
  let dead = false;
  let test = { active: [], recent: [] };
  let schedule;
  // The forms are built once and kept across renders: a push (the installer's test signal) re-reads
  // the page while the desk may be typing a reason.
  const forms = {};
  const base = `/api/sites/${encodeURIComponent(siteId)}`;

  async function load() {
    try {
      [test, schedule] = await Promise.all([api(`${base}/test-mode`), api(`${base}/schedule`)]);
    } catch (err) {
      toast(err.message, 'error');
    }
    if (!dead) render();
  }

  async function act(path, opts, done, form) {
    try {
      await api(path, opts);
      toast(done, 'info');
      form?.reset();
      await load();
      return true;
    } catch (err) {
      toast(err.message, 'error');
      return false;
    }
  }

  function testForm() {
    const panels = state.panelsBySite.get(siteId) ?? [];
    // Rebuilt only when the panels arrive (the select's choices).
    if (forms.test?.dataset.panels === String(panels.length)) return forms.test;
    const panel = h(
      'select',
      { name: 'panel' },
      h('option', { value: '' }, t('wfWholeSite')),
      // Named as the rest of the console names a panel (报警主机, numbered when several); never its id.
      panels.map((p) => h('option', { value: p.id }, panelLabel(p.id))),
    );
    const minutes = h('input', { name: 'minutes', type: 'number', min: '1', value: '30', required: true });
    const reason = h('input', {
      name: 'reason',
      type: 'text',
      maxLength: 200,
      placeholder: t('wfTestReasonHint'),
    });
    forms.test = h(
      'form',
      {
        class: 'wf-form',
        id: 'wf-test-form',
        dataset: { panels: String(panels.length) },
        onsubmit: (e) => {
          e.preventDefault();
          const body = { minutes: Number(minutes.value), reason: reason.value };
          if (panel.value) body.panel = panel.value;
          void act(`${base}/test-mode`, { method: 'POST', body }, t('wfTestStarted'), e.target);
        },
      },
      field(t('wfTestWhat'), panel),
      field(t('wfMinutes'), minutes),
      field(t('wfReason'), reason),
      h('button', { type: 'submit', class: 'primary' }, t('wfTestStart')),
    );
    return forms.test;
  }

  function testCard() {
    const endOne = (m) =>
      h(
        'button',
        {
          type: 'button',
          class: 'button wf-test-end',
          onclick: () =>
            void act(
              `${base}/test-mode${m.panel ? `?panel=${encodeURIComponent(m.panel)}` : ''}`,
              { method: 'DELETE' },
              t('wfTestEnded'),
            ),
        },
        t('wfTestEnd'),
      );
    const events = test.recent.flatMap((m) => m.events.map((e) => ({ ...e, mode: m })));
    return h(
      'section',
      { class: 'card wf-test-card', id: 'wf-test-card' },
      h('h3', {}, t('wfTestMode')),
      test.active.length === 0
        ? h('div', { class: 'muted', id: 'wf-test-none' }, t('wfNotOnTest'))
        : h(
            'ul',
            { id: 'wf-test-active' },
            test.active.map((m) =>
              h(
                'li',
                { dataset: { mode: m.id } },
                testBadge(),
                ` ${m.panel ? panelLabel(m.panel) : t('wfWholeSite')} · `,
                t('wfTestUntil', { until: fmtUntil(m.endsAt) }),
                h('span', { class: 'muted' }, ` · ${m.reason} · `, personEl(test.people, m.by)),
                ' ',
                endOne(m),
              ),
            ),
          ),
      testForm(),
      h('h4', {}, t('wfTestEvents')),
      events.length === 0
        ? h('div', { class: 'muted' }, t('noData'))
        : h(
            'table',
            { class: 'grid', id: 'wf-test-events' },
            events.map((e) =>
              h(
                'tr',
                { dataset: { key: e.key } },
                h('td', {}, testBadge()),
                h('td', {}, fmtDateTime(e.at)),
                h('td', {}, deviceName(e.device)),
                h('td', {}, eventText({ ...e, receivedAt: e.at, ts: e.at })),
                h('td', { class: 'muted' }, e.mode.reason),
              ),
            ),
          ),
    );
  }

  function changeForm() {
    if (forms.change) return forms.change;
    const from = h('input', { name: 'from', type: 'date', required: true, value: schedule.today });
    const to = h('input', { name: 'to', type: 'date' });
    const closed = h('input', { name: 'closed', type: 'checkbox' });
    const open = h('input', { name: 'open', type: 'time', value: '09:00' });
    const close = h('input', { name: 'close', type: 'time', value: '17:00' });
    const reason = h('input', {
      name: 'reason',
      type: 'text',
      maxLength: 200,
      placeholder: t('wfChangeReasonHint'),
    });
    closed.addEventListener('change', () => {
      open.disabled = closed.checked;
      close.disabled = closed.checked;
    });
    forms.change = h(
      'form',
      {
        class: 'wf-form',
        id: 'wf-change-form',
        onsubmit: (e) => {
          e.preventDefault();
          const body = {
            from: from.value,
            hours: closed.checked ? 'closed' : `${open.value}-${close.value}`,
            reason: reason.value,
          };
          if (to.value) body.to = to.value;
          void act(`${base}/schedule-changes`, { method: 'POST', body }, t('wfChangeSaved'), e.target);
        },
      },
      field(t('wfChangeFrom'), from),
      field(t('wfChangeTo'), to),
      field(t('wfClosedAllDay'), closed),
      field(t('wfOpensAt'), open),
      field(t('wfClosesAt'), close),
      field(t('wfReason'), reason),
      h('button', { type: 'submit', class: 'primary' }, t('wfChangeAdd')),
    );
    forms.change.addEventListener('reset', () => {
      open.disabled = false;
      close.disabled = false;
    });
    return forms.change;
  }

  function scheduleCard() {
    if (!schedule) return null;
    const span = (c) => (c.to && c.to !== c.from ? `${c.from} ~ ${c.to}` : c.from);
    return h(
      'section',
      { class: 'card wf-schedule-card', id: 'wf-schedule-card' },
      h('h3', {}, t('wfSchedule')),
      !schedule.scheduled
        ? h('div', { class: 'muted', id: 'wf-no-schedule' }, t('err_no_schedule'))
        : [
            h(
              'table',
              { class: 'grid wf-week' },
              WEEKDAYS.map((d) =>
                h('tr', {}, h('th', {}, t(`wfDay_${d}`)), h('td', {}, hoursText(schedule.hours[d]))),
              ),
            ),
            schedule.holidays.length
              ? h('div', { class: 'muted' }, `${labelled(t('wfHolidays'))}${joinList(schedule.holidays)}`)
              : null,
            h('h4', {}, t('wfChanges')),
            schedule.changes.length + schedule.deskChanges.length === 0
              ? h('div', { class: 'muted' }, t('noData'))
              : h(
                  'ul',
                  { id: 'wf-changes' },
                  schedule.changes.map((c) =>
                    h(
                      'li',
                      {},
                      `${span(c)} · ${hoursText(c.hours)}`,
                      h('span', { class: 'muted' }, ` · ${c.reason ?? ''} · ${t('wfConfigured')}`),
                    ),
                  ),
                  schedule.deskChanges.map((c) =>
                    h(
                      'li',
                      { class: 'wf-desk-change', dataset: { change: c.id } },
                      `${span(c)} · ${hoursText(c.hours)}`,
                      h(
                        'span',
                        { class: 'muted' },
                        ` · ${c.reason} · `,
                        personEl(schedule.people, c.by),
                        ' ',
                      ),
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'button small wf-change-delete',
                          onclick: () =>
                            void act(
                              `${base}/schedule-changes/${encodeURIComponent(c.id)}`,
                              { method: 'DELETE' },
                              t('wfChangeDeleted'),
                            ),
                        },
                        t('wfChangeDelete'),
                      ),
                    ),
                  ),
                ),
            changeForm(),
          ],
    );
  }

  function render() {
    fill(
      page,
      h('h2', { id: 'site-desk-name' }, siteName(siteId), test.active.length ? [' ', testBadge()] : null),
      h('div', { class: 'site-desk-grid' }, testCard(), scheduleCard()),
    );
  }

  render();
  void loadPanels()
    .then(() => !dead && render())
    .catch((err) => console.warn('console: panels', err));
  void load();
  // Pushed when this site's test mode changes or takes an event (another desk, the installer's test
  // signal, the timer running out): read again, a burst of signals at most once per 300 ms.
  let soon;
  const off = subscribe((kind, payload) => {
    if ((kind !== 'site:test-event' && kind !== 'site:test-mode') || payload?.site !== siteId) return;
    clearTimeout(soon);
    soon = setTimeout(() => void load(), 300);
  });
  return () => {
    dead = true;
    clearTimeout(soon);
    off();
  };
}
