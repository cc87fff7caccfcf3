// 系统状态's history chart (web/js/system.js): each step's waits, alarms stored and level, grey where
// the service was not running, each step's numbers as its tooltip; the axes are system-chart-axes.js.
import { svg } from './dom.js';
import { fmtOnDay, fmtSeconds, t } from './i18n.js';
import { ms, recordingSentences, storageSentence } from './system-alert.js';
import { countAxis, countTop, GUTTER, timeAxis, waitAxis } from './system-chart-axes.js';
import { logScale, pointLevel, WAIT_WARN_MS } from './system-levels.js';

/**
 * The end of the last minute whose row is due by now (each is written a second after it ends), by
 * the server's clock: a desk PC whose clock is off would show minutes down that were not, or hide
 * a stop that was.
 */
const dueBy = (hist) => {
  const now = hist.now ? Date.parse(hist.now) : Date.now();
  return Math.min(Date.parse(hist.to), Math.floor((now - 61_000) / 60_000) * 60_000 + 60_000);
};

/**
 * The minutes the history's rows should cover: each of its nodes (those with a row in the range), from
 * the first minute recorded, or from the minute it joined (`hist.joined`: before it the node did not
 * exist, so nothing of it was missing), to the last due by now. Read once for the chart's grey and
 * the summary's 服务未运行, so the two count the same minutes. `dueIn(a, b)`: the node-minutes due
 * between two instants; `notJoined(at)`: the nodes that had not joined yet at an instant.
 */
export function coverage(hist) {
  const first = Date.parse(hist.first);
  const due = dueBy(hist);
  const joined = hist.joined ?? {};
  const starts = hist.nodes.map((n) => (joined[n] ? Date.parse(joined[n]) : first));
  return {
    nodes: Math.max(1, hist.nodes.length),
    first,
    due,
    joined: Object.values(joined).map((at) => Date.parse(at)),
    dueIn: (a, b) => starts.reduce((n, s) => n + Math.max(0, Math.min(b, due) - Math.max(a, s)) / 60_000, 0),
    notJoined: (at) => starts.filter((s) => s > at).length,
  };
}

/**
 * A step's start or end as the tooltips and the summary give it, to the minute: with its date when
 * not today (or, for an end, not its start's day), by the console's one rule (fmtOnDay). On the day
 * and week ranges a bare 21:18 may be yesterday's or today's.
 */
export const stamp = (iso, now) => fmtOnDay(iso, now).replace(/:00$/, '');

/**
 * What one step said, for its tooltip (`missing`: its minutes with no row, the service not running;
 * `notJoined`: nodes that joined the city after the step began).
 */
function pointText(p, step, missing = 0, notJoined = 0) {
  const end = new Date(Date.parse(p.at) + step * 60_000).toISOString();
  return [
    `${stamp(p.at)} – ${stamp(end, Date.parse(p.at))}`,
    missing > 0 ? t('sysHistPartDown', { d: fmtSeconds(missing * 60, { long: true }) }) : null,
    notJoined > 0 ? t('sysHistNotJoined', { n: notJoined }) : null,
    t('sysHistCommitted', { n: p.committed }),
    p.committed > 0 ? t('sysHistWait', { p99: ms(p.waitP99Ms), max: ms(p.waitMaxMs) }) : null,
    t('sysHistHeld', { v: ms(p.loopMaxMs) }),
    p.starts > 0 ? t('sysHistStarted', { n: p.starts }) : null,
    p.sinksFailing > 0 ? t('sysSinksFailing', { n: p.sinksFailing }) : null,
    p.sinksBehind > 0
      ? t('sysHistBehind', { n: p.sinksBehind, age: fmtSeconds(p.sinksBehindSeconds, { long: true }) })
      : null,
    p.panels !== null ? `${t('sysPanels')} ${t('sysOnlineOf', { n: p.panelsOnline, of: p.panels })}` : null,
    p.cameras ? `${t('sysCameras')} ${t('sysOnlineOf', { n: p.camerasUp, of: p.cameras })}` : null,
    storageSentence(p.storageShort ?? 0, p.storageFull ?? 0),
    ...recordingSentences(p.recordingFailing ?? 0, p.recordingDropping ?? 0),
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * The chart: the p99 and worst wait of each step (log scale, the 100 ms line dashed), the alarms
 * stored (bars), and a strip of each step's level, grey where nothing was recorded (the service was
 * not running). Each step's column has its numbers as a tooltip.
 */
export function historyChart(hist, hours, width, { nodes, first, due, dueIn, notJoined }) {
  // Drawn at the card's width in CSS pixels, so its text is the page's size; the plot starts right of
  // the axes' gutter.
  const w = width;
  const left = GUTTER;
  const pw = w - left - 8;
  const top = 4;
  const waitH = 92;
  const barsY = top + waitH + 16;
  const barsH = 40;
  const stripY = barsY + barsH + 6;
  const stripH = 12;
  const axisY = stripY + stripH + 14;
  // The times, then the dates below them.
  const hgt = axisY + 20;
  const from = Date.parse(hist.from);
  const span = Date.parse(hist.to) - from;
  const step = hist.stepMinutes;
  const cols = Math.round(span / (step * 60_000));
  const cw = pw / cols;
  const x = (iso) => left + ((Date.parse(iso) - from) / span) * pw;
  const y = (v) => top + waitH - logScale(v) * waitH;
  const most = countTop(Math.max(1, ...hist.points.map((p) => p.committed)));
  const byCol = new Map(hist.points.map((p) => [Math.round((x(p.at) - left) / cw), p]));
  const cells = [];
  const lines = { p99: [], max: [] };
  for (let c = 0; c < cols; c++) {
    const p = byCol.get(c);
    const cx = left + c * cw;
    if (!p) {
      // Grey only between the first minute recorded and the last one due by now: before, there was
      // no history yet; after, the minute is still running.
      const at = from + c * step * 60_000;
      if (at + step * 60_000 > first && at < due)
        cells.push(
          svg('rect', {
            x: cx,
            y: stripY,
            width: cw,
            height: stripH,
            class: 'sys-hist-gap',
            dataset: { gap: new Date(at).toISOString() },
          }),
        );
      lines.p99.push(null);
      lines.max.push(null);
      continue;
    }
    const level = pointLevel(p);
    const bh = (p.committed / most) * barsH;
    // A step of several minutes with only some recorded: the rest of its strip is grey, as a whole
    // step down is, so the strip agrees with the summary's 服务未运行 (a restart's minutes, a stop).
    const at = Date.parse(p.at);
    const dueMinutes = Math.max(0, Math.min(at + step * 60_000, due) - Math.max(at, first)) / 60_000;
    // A node not joined yet owes no minutes: its absence is not the service down.
    const missing = Math.max(0, Math.round(dueIn(at, at + step * 60_000) - p.minutes) / nodes);
    const kept = dueMinutes > 0 ? Math.min(1, 1 - missing / dueMinutes) : 1;
    cells.push(
      svg('rect', {
        x: cx,
        y: stripY,
        width: cw * kept,
        height: stripH,
        class: `sys-hist-cell sys-${level}`,
        dataset: { cell: p.at },
      }),
      kept < 1
        ? svg('rect', {
            x: cx + cw * kept,
            y: stripY,
            width: cw * (1 - kept),
            height: stripH,
            class: 'sys-hist-gap',
            dataset: { partGap: p.at },
          })
        : null,
      p.committed > 0
        ? svg('rect', {
            x: cx + cw * 0.1,
            y: barsY + barsH - bh,
            width: cw * 0.8,
            height: bh,
            class: 'sys-hist-bar',
          })
        : null,
      // The whole column answers a hover with its numbers.
      svg(
        'rect',
        {
          x: cx,
          y: top,
          width: cw,
          height: stripY + stripH - top,
          class: 'sys-hist-hit',
          dataset: { at: p.at, level },
        },
        svg('title', {}, pointText(p, step, missing, notJoined(at))),
      ),
    );
    // A start (or restart) of the service: a mark across the waits, its first minutes hold the thread.
    if (p.starts > 0)
      cells.push(
        svg('line', {
          x1: cx + 0.5,
          x2: cx + 0.5,
          y1: top,
          y2: stripY + stripH,
          class: 'sys-hist-start',
          dataset: { start: p.at },
        }),
      );
    const mid = (cx + cw / 2).toFixed(1);
    lines.p99.push(p.committed > 0 ? `${mid},${y(p.waitP99Ms).toFixed(1)}` : null);
    lines.max.push(p.committed > 0 ? `${mid},${y(p.waitMaxMs).toFixed(1)}` : null);
  }
  // A line breaks where a step stored nothing or was not recorded.
  const runs = (pts) => {
    const out = [];
    let cur = [];
    for (const pt of [...pts, null]) {
      if (pt) cur.push(pt);
      else if (cur.length) {
        out.push(cur);
        cur = [];
      }
    }
    return out;
  };
  const path = (pts, cls) =>
    runs(pts).map((r) =>
      r.length === 1
        ? svg('circle', { cx: r[0].split(',')[0], cy: r[0].split(',')[1], r: 2, class: `${cls}-dot` })
        : svg('polyline', { points: r.join(' '), class: cls }),
    );
  const ticks = timeAxis({
    from,
    to: from + span,
    hours,
    xAt: (ms) => left + ((ms - from) / span) * pw,
    x0: left,
    x1: left + pw,
    top,
    bottom: stripY + stripH + 3,
    axisY,
  });
  return svg(
    'svg',
    { class: 'sys-hist-chart', viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': t('sysHistLabel') },
    svg('rect', { x: left, y: top, width: pw, height: waitH, class: 'sys-hist-bg' }),
    waitAxis(y, left, left + pw, WAIT_WARN_MS),
    countAxis(most, barsY, barsH, left, left + pw),
    ticks,
    svg('line', {
      x1: left,
      x2: left + pw,
      y1: y(WAIT_WARN_MS),
      y2: y(WAIT_WARN_MS),
      class: 'sys-trace-warn',
    }),
    path(lines.max, 'sys-hist-max'),
    path(lines.p99, 'sys-hist-p99'),
    cells,
  );
}
