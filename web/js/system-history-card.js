// 系统状态's history card (web/js/system.js): the range buttons, what the range says in words (the
// summary), the chart (system-history-chart.js) and its legend.
import { h } from './dom.js';
import { fmtSeconds, joinList, t } from './i18n.js';
import { ms } from './system-alert.js';
import { coverage, historyChart, stamp } from './system-history-chart.js';

/** The history's ranges, in hours; the first is shown on opening. */
export const RANGES = [1, 6, 24, 168];
/**
 * The range chosen is in the address (#/system/24h), as a monitoring product keeps its time range:
 * a reload, a link sent to a colleague and a language switch (web/app.js mounts the view again) open
 * on it.
 */
export const rangeOf = (param) => RANGES.find((r) => param === `${r}h`) ?? RANGES[0];

/** The history card: the range buttons, what the range says in words, and the chart. */
export function historyCard(hist, error, hours, choose, width) {
  const buttons = h(
    'div',
    { class: 'sys-ranges', role: 'group', 'aria-label': t('sysHistRange') },
    RANGES.map((r) =>
      h(
        'button',
        {
          type: 'button',
          class: r === hours ? 'sys-range active' : 'sys-range',
          'aria-pressed': r === hours ? 'true' : 'false',
          dataset: { hours: r },
          onclick: () => choose(r),
        },
        t(`sysRange${r}`),
      ),
    ),
  );
  const head = h('div', { class: 'sys-hist-head' }, h('h3', {}, t('sysHistory')), buttons);
  if (error) return [head, h('div', { class: 'sys-status sys-bad' }, error)];
  if (!hist) return [head, h('div', { class: 'muted' }, t('sysHistLoading'))];
  if (hist.points.length === 0)
    return [head, h('div', { class: 'muted', id: 'sys-hist-empty' }, t('sysHistEmpty'))];
  const pts = hist.points;
  const step = hist.stepMinutes;
  const worst = pts.reduce(
    (a, p) => (p.committed > 0 && (!a || p.waitP99Ms > a.waitP99Ms) ? p : a),
    undefined,
  );
  const starts = pts.reduce((n, p) => n + p.starts, 0);
  const held = pts.reduce((a, p) => (!a || p.loopMaxMs > a.loopMaxMs ? p : a), undefined);
  const failing = pts.reduce((n, p) => n + p.sinksFailingMinutes, 0);
  const recFailing = pts.reduce((n, p) => n + (p.recordingFailingMinutes ?? 0), 0);
  // Minutes without a row, from the first recorded one (a node's, from when it joined) to the last
  // due by now: the service was not running (on each node).
  const cover = coverage(hist);
  const { nodes } = cover;
  const expected = cover.dueIn(cover.first, cover.due);
  const recorded = pts.reduce((n, p) => n + p.minutes, 0);
  const down = Math.max(0, Math.round((expected - recorded) / nodes));
  const joined = [...cover.joined].sort((a, b) => a - b);
  const summary = [
    t('sysHistCommitted', { n: pts.reduce((n, p) => n + p.committed, 0) }),
    worst ? t('sysHistWorst', { v: ms(worst.waitP99Ms), at: stamp(worst.at) }) : null,
    held ? t('sysHistHeldWorst', { v: ms(held.loopMaxMs), at: stamp(held.at) }) : null,
    starts > 0 ? t('sysHistStarts', { n: starts }) : null,
    joined.length > 0
      ? t('sysHistJoined', {
          n: joined.length,
          at: joinList(joined.map((at) => stamp(new Date(at).toISOString()))),
        })
      : null,
    failing > 0
      ? t('sysHistFailing', { d: fmtSeconds(failing * 60, { long: true }) })
      : t('sysHistNoFailing'),
    recFailing > 0 ? t('sysHistRecFailing', { d: fmtSeconds(recFailing * 60, { long: true }) }) : null,
    down > 0 ? t('sysHistDown', { d: fmtSeconds(down * 60, { long: true }) }) : null,
  ].filter(Boolean);
  return [
    head,
    h('div', { class: 'sys-line', id: 'sys-hist-summary' }, summary.join(' · ')),
    historyChart(hist, hours, width, cover),
    h(
      'div',
      { class: 'muted small sys-hist-legend' },
      h('span', { class: 'key key-p99' }, t('sysHistKeyP99')),
      h('span', { class: 'key key-max' }, t('sysHistKeyMax')),
      h('span', { class: 'key key-bar' }, t('sysHistKeyBars')),
      h('span', { class: 'key key-gap' }, t('sysHistKeyGap')),
      h('span', { class: 'key key-start' }, t('sysHistKeyStart')),
      h('span', {}, step === 1 ? t('sysHistStep1') : t('sysHistStepN', { n: step })),
    ),
  ];
}
