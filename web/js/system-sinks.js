// 系统状态's follow-ups (web/js/system.js): every outbox sink, how far behind, and failing since when.
import { h } from './dom.js';
import { fmtSeconds, fmtSince, t } from './i18n.js';
import { sinkName } from './system-alert.js';
import { sinkLevel } from './system-levels.js';

/** The sinks in the order the alarm reaches them; one this page does not know goes last. */
const SINKS = [
  'bus',
  'audit',
  'panel-acks',
  'webhooks',
  'workflow-notify',
  'workflow-confirm',
  'workflow-schedule',
  'workflow-test-push',
  'reports',
];

function sinkRows(sinks) {
  const names = Object.keys(sinks).sort((a, b) => {
    const ia = SINKS.indexOf(a.split(':')[0]);
    const ib = SINKS.indexOf(b.split(':')[0]);
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
  return names.map((name) => {
    const s = sinks[name];
    const level = sinkLevel(s);
    const label = sinkName(name);
    const status =
      level === 'bad'
        ? t('sysSinkFailing', { n: s.failures, since: s.failingSince ? fmtSince(s.failingSince) : '—' })
        : level === 'warn'
          ? t('sysSinkSlow')
          : t('sysOk');
    return h(
      'tr',
      { class: `sys-${level}`, dataset: { sink: name, level } },
      // A sink this page has no name for keeps its own, for the engineer to look up.
      h('td', label.known ? {} : { title: name }, label.text),
      h('td', { class: 'num' }, s.behind > 0 ? t('sysRowsN', { n: s.behind }) : '0'),
      h('td', { class: 'num' }, s.behind > 0 ? fmtSeconds(s.behindSeconds) : '—'),
      h('td', { class: `sys-status sys-${level}` }, status),
    );
  });
}

/** The follow-ups' card: a row each, in the order the alarm reaches them. */
export function sinksCard(sinks) {
  return h(
    'section',
    { class: 'card sys-sinks', id: 'sys-sinks' },
    h('h3', {}, t('sysSinks')),
    h('div', { class: 'muted small' }, t('sysSinksNote')),
    h(
      'table',
      { class: 'grid' },
      h(
        'tr',
        {},
        h('th', {}, t('sysSinkCol')),
        h('th', { class: 'num' }, t('sysBehindCol')),
        h('th', { class: 'num' }, t('sysWaitedCol')),
        h('th', {}, t('sysStatusCol')),
      ),
      sinkRows(sinks),
    ),
  );
}
