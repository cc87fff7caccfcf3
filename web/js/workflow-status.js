// Issue 17: what the workflow is doing to the operator's alarms, above the queue: storms in force
// (which categories of which area are held or demoted, since when, how many are held; a supervisor
// ends one here), runaway panels (their events are counted on one incident instead of ringing; a
// supervisor ends one here once the installer has fixed it) and
// the sites and panels on test. Hidden while there is nothing to say.
import { api } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtDateTime, fmtUntil, joinList, labelled, t } from './i18n.js';
import { deviceName } from './names.js';
import { personEl } from './people.js';
import { jurisdictionName, siteName, state } from './state.js';

const POLL_MS = 5000;

export function testBadge() {
  return h('span', { class: 'badge badge-test' }, t('wfTestBadge'));
}

/** Supervisors and admins end a storm or a runaway from the strip. */
const isBoss = () => ['supervisor', 'admin'].includes(state.user?.role);

/** The strip's end button: DELETE `path`, say `done`, read the strip again (either way). */
function endButton(cls, path, label, done, refresh) {
  return h(
    'button',
    {
      type: 'button',
      class: `button small ${cls}`,
      onclick: async () => {
        try {
          await api(path, { method: 'DELETE' });
          toast(done, 'info');
        } catch (err) {
          toast(err.message, 'error');
        }
        await refresh();
      },
    },
    label,
  );
}

function stormLine(s, refresh, people) {
  return h(
    'li',
    { class: `wf-storm ${s.action}`, dataset: { storm: s.id } },
    // The words apart from the end button, which keeps to the right of the line (base.css).
    h(
      'span',
      { class: 'wf-line-text' },
      h('b', {}, t('wfStorm', { node: jurisdictionName(s.node) })),
      ` ${labelled(t(`wfStormAction_${s.action}`))}${joinList(s.categories.map((c) => t(`wfStormCat_${c}`)))}`,
      h(
        'span',
        { class: 'muted' },
        ` · ${t('wfSinceUntil', { since: fmtDateTime(s.startedAt), until: fmtUntil(s.endsAt) })}`,
        s.action === 'hold' ? ` · ${t('wfHeldCount', { n: s.held })}` : '',
        ` · ${s.reason} · `,
        personEl(people, s.by),
      ),
    ),
    isBoss()
      ? endButton(
          'wf-storm-end',
          `/api/storms/${encodeURIComponent(s.id)}`,
          t('wfStormEnd'),
          t('wfStormEnded'),
          refresh,
        )
      : null,
  );
}

function runawayLine(r, refresh) {
  return h(
    'li',
    { class: 'wf-runaway', dataset: { panel: r.device } },
    h(
      'span',
      { class: 'wf-line-text' },
      h('b', {}, t('wfRunaway', { panel: deviceName(r.device), site: siteName(r.site) })),
      h('span', { class: 'muted' }, ` · ${t('wfRunawaySince', { since: fmtDateTime(r.since) })}`),
      r.incident ? h('a', { href: `#/incident/${r.incident}` }, ` ${t('wfRunawayIncident')}`) : null,
    ),
    // The installer has fixed the panel: its alarms ring one by one again without waiting to calm.
    isBoss()
      ? endButton(
          'wf-runaway-end',
          `/api/runaways/${encodeURIComponent(r.device)}`,
          t('wfRunawayEnd'),
          t('wfRunawayEnded', { panel: deviceName(r.device), site: siteName(r.site) }),
          refresh,
        )
      : null,
  );
}

function testLine(m) {
  return h(
    'li',
    { class: 'wf-test', dataset: { site: m.site } },
    testBadge(),
    ' ',
    h('a', { href: `#/sitedesk/${encodeURIComponent(m.site)}` }, siteName(m.site)),
    m.panel ? ` · ${deviceName(m.panel)}` : '',
    h('span', { class: 'muted' }, ` · ${t('wfTestUntil', { until: fmtUntil(m.endsAt) })} · ${m.reason}`),
  );
}

/** The status strip; `destroy()` stops its polling. */
export function workflowStatus() {
  const el = h('div', { class: 'wf-status', id: 'wf-status', hidden: true });
  let dead = false;
  async function refresh() {
    let s;
    try {
      s = await api('/api/workflow/status');
    } catch (err) {
      // The strip is an aid: the queue works without it; the next poll tries again.
      console.warn('console: workflow status', err);
      return;
    }
    if (dead) return;
    const lines = [
      ...s.storms.map((x) => stormLine(x, refresh, s.people)),
      ...s.runaways.map((x) => runawayLine(x, refresh)),
      ...s.testModes.map(testLine),
    ];
    el.hidden = lines.length === 0;
    fill(el, lines.length ? h('ul', {}, lines) : null);
  }
  void refresh();
  const timer = setInterval(() => void refresh(), POLL_MS);
  return {
    el,
    refresh,
    destroy() {
      dead = true;
      clearInterval(timer);
    },
  };
}
