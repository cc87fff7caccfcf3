// Supervisors' and admins' page: the receiver itself, as a duty engineer checks it first. Tiles for
// the alarm path (the last minute's alarms and how long their senders waited for a durable decision,
// with a trace of that wait while the page is open), the panels, the cameras, the DC-09 receiver, the
// database and the cluster; then every outbox sink: how far behind, and failing since when.
// Reads GET /api/health every 5 s, and below the tiles the history (GET /api/system/history, one
// point a minute up to six hours, wider steps up to a week) every minute: when did it begin?
import { api } from './api.js';
import { fill, h, svg } from './dom.js';
import { fmtOnDay, fmtSeconds, fmtSince, fmtTime, getLang, t } from './i18n.js';
import { jurisdictionName } from './state.js';
import {
  ackedBy,
  lostSentence,
  ms,
  recordingSentences,
  sinkName,
  storageSentence,
  takenInCharge,
} from './system-alert.js';
import { countAxis, countTop, GUTTER, timeAxis, waitAxis } from './system-chart-axes.js';

const EVERY_MS = 5000;
/** Points of the wait trace: 10 minutes at one a refresh. */
const TRACE = 120;
/** A sender's wait for its durable decision: over these it is worth a look, then a problem. */
const WAIT_WARN_MS = 100;
const WAIT_BAD_MS = 1000;
/** A sink this long behind is worth a look even if nothing failed yet. */
const BEHIND_WARN_S = 60;

/** The history's ranges, in hours; the first is shown on opening. */
const RANGES = [1, 6, 24, 168];
const HISTORY_EVERY_MS = 60_000;
/**
 * The range chosen is in the address (#/system/24h), as a monitoring product keeps its time range:
 * a reload, a link sent to a colleague and a language switch (web/app.js mounts the view again) open
 * on it.
 */
const rangeOf = (param) => RANGES.find((r) => param === `${r}h`) ?? RANGES[0];

/**
 * What the page held when it was left: a language switch mounts it again at once, and it comes back
 * in the new words with the same answers, wait trace and scroll, rather than empty and at the top.
 */
let left;
/** A mount this soon after leaving in another language is that language switch. */
const SWITCH_MS = 2000;

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

/** A sink's level: red while it fails, yellow when its oldest row has waited too long. */
const sinkLevel = (s) => (s.failures > 0 ? 'bad' : s.behindSeconds > BEHIND_WARN_S ? 'warn' : 'ok');

/** A wait's level (a sender's for its decision, or the alarm thread held): by its p99 and its worst. */
const waitLevel = (p99, max) => (max > WAIT_BAD_MS ? 'bad' : p99 > WAIT_WARN_MS ? 'warn' : 'ok');

/** Recording: red when writes fail or the storage is full, yellow when footage drops or room is short. */
const recordingLevel = (failing, dropping, short, full) =>
  failing > 0 || full > 0 ? 'bad' : dropping > 0 || short > 0 ? 'warn' : 'ok';

/**
 * Panels or cameras lost together (`checks.panels` / `checks.cameras` of the node that judges) in
 * words, or null when they are not a trouble.
 */
function lostTogether(kind, counts) {
  if (!counts?.lostTogetherLevel) return null;
  const spanSeconds = (Date.parse(counts.lostTogetherTo) - Date.parse(counts.lostTogetherFrom)) / 1000 || 0;
  // Named when the user's tree knows the place (a raw id means nothing on a desk).
  const id = counts.lostTogetherWhere;
  const where = id && jurisdictionName(id) !== id ? jurisdictionName(id) : undefined;
  return lostSentence(kind, counts.lostTogether, counts[kind], spanSeconds, where);
}

/** Panels or cameras: yellow when any is offline. */
const onlineLevel = (online, total) => (online < total ? 'warn' : 'ok');

const LEVELS = ['ok', 'warn', 'bad'];
/** The worst of some levels. */
const worstLevel = (...levels) => LEVELS[Math.max(...levels.map((l) => LEVELS.indexOf(l)))];

function tile(id, title, level, big, ...lines) {
  return h(
    'section',
    { class: `card sys-tile sys-${level}`, id, dataset: { level } },
    h('h3', {}, title),
    h('div', { class: 'sys-big' }, big),
    lines.filter(Boolean).map((l) => h('div', { class: 'muted sys-line' }, l)),
  );
}

/** The traces' scale: logarithmic, 0.5 ms to 5 s, so 2 ms and 200 ms both read. */
const TRACE_LOW = Math.log10(0.5);
const TRACE_HIGH = Math.log10(5000);
/** Where `v` ms lies on that scale, 0 (0.5 ms and below) to 1 (5 s and above). */
const logScale = (v) => (Math.log10(Math.max(0.5, Math.min(5000, v))) - TRACE_LOW) / (TRACE_HIGH - TRACE_LOW);

/** The p99 wait of each refresh, newest last (a gap where a minute had no alarm), over the warn level. */
function trace(points) {
  const w = 240;
  const hgt = 48;
  const y = (v) => hgt - logScale(v) * (hgt - 2) - 1;
  const x = (i) => (i / (TRACE - 1)) * w;
  const offset = TRACE - points.length;
  const path = points
    .map((p, i) => (p === undefined ? null : `${x(offset + i).toFixed(1)},${y(p).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  return svg(
    'svg',
    {
      class: 'sys-trace',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': t('sysTraceLabel'),
      dataset: { points: points.length },
    },
    svg('line', { x1: 0, x2: w, y1: y(WAIT_WARN_MS), y2: y(WAIT_WARN_MS), class: 'sys-trace-warn' }),
    svg('polyline', { points: path, class: 'sys-trace-line' }),
  );
}

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

/**
 * A history point's level, by the tiles' rules: red when a sink failed, or an alarm waited or the
 * alarm thread was held over a second; yellow when the p99 wait or a hold of the thread passed
 * 100 ms, a sink fell a minute behind, or panels or cameras were offline.
 */
function pointLevel(p) {
  return worstLevel(
    waitLevel(p.waitP99Ms, p.waitMaxMs),
    waitLevel(p.loopMaxMs, p.loopMaxMs),
    sinkLevel({ failures: p.sinksFailing, behindSeconds: p.sinksBehindSeconds }),
    p.panels !== null ? onlineLevel(p.panelsOnline, p.panels) : 'ok',
    p.cameras !== null ? onlineLevel(p.camerasUp, p.cameras) : 'ok',
    recordingLevel(
      p.recordingFailing ?? 0,
      p.recordingDropping ?? 0,
      p.storageShort ?? 0,
      p.storageFull ?? 0,
    ),
  );
}

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
 * the first minute recorded to the last due by now. Read once for the chart's grey and the summary's
 * 服务未运行, so the two count the same minutes.
 */
const coverage = (hist) => ({
  nodes: Math.max(1, hist.nodes.length),
  first: Date.parse(hist.first),
  due: dueBy(hist),
});

/**
 * A step's start or end as the tooltips and the summary give it, to the minute: with its date when
 * not today (or, for an end, not its start's day), by the console's one rule (fmtOnDay). On the day
 * and week ranges a bare 21:18 may be yesterday's or today's.
 */
const stamp = (iso, now) => fmtOnDay(iso, now).replace(/:00$/, '');

/** What one step said, for its tooltip (`missing`: its minutes with no row, the service not running). */
function pointText(p, step, missing = 0) {
  const end = new Date(Date.parse(p.at) + step * 60_000).toISOString();
  return [
    `${stamp(p.at)} – ${stamp(end, Date.parse(p.at))}`,
    missing > 0 ? t('sysHistPartDown', { d: fmtSeconds(missing * 60, { long: true }) }) : null,
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
function historyChart(hist, hours, width, { nodes, first, due }) {
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
    const missing = Math.max(0, Math.round(dueMinutes * nodes - p.minutes) / nodes);
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
        svg('title', {}, pointText(p, step, missing)),
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

/** The history card: the range buttons, what the range says in words, and the chart. */
function historyCard(hist, error, hours, choose, width) {
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
  // Minutes without a row, from the first recorded one to the last due by now: the service was not
  // running (on each node).
  const cover = coverage(hist);
  const { nodes } = cover;
  const expected = Math.max(0, (cover.due - cover.first) / 60_000) * nodes;
  const recorded = pts.reduce((n, p) => n + p.minutes, 0);
  const down = Math.max(0, Math.round((expected - recorded) / nodes));
  const summary = [
    t('sysHistCommitted', { n: pts.reduce((n, p) => n + p.committed, 0) }),
    worst ? t('sysHistWorst', { v: ms(worst.waitP99Ms), at: stamp(worst.at) }) : null,
    held ? t('sysHistHeldWorst', { v: ms(held.loopMaxMs), at: stamp(held.at) }) : null,
    starts > 0 ? t('sysHistStarts', { n: starts }) : null,
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

export function mount(root, params = []) {
  const page = h('div', { class: 'page system-view', id: 'system-view' });
  root.append(page);
  const lang = getLang();
  const was = left && left.lang !== lang && Date.now() - left.at < SWITCH_MS ? left : undefined;
  left = undefined;
  const waits = was?.waits ?? [];
  let dead = false;
  // The history card keeps its own element: the 5-s refresh moves it, the minute's reload fills it.
  const history = h('section', { class: 'card sys-history', id: 'sys-history' });
  let hours = rangeOf(params[0]);
  let loaded = 0;
  let shown = { hist: undefined, error: undefined, width: 0 };
  const width = () => Math.max(480, Math.round(history.clientWidth - 32) || 960);
  function show(hist, error) {
    shown = { hist, error, width: width() };
    fill(history, historyCard(hist, error, hours, choose, shown.width));
  }
  // A window made wider or narrower redraws the chart at its new width.
  const resized = new ResizeObserver(() => {
    if (shown.hist && Math.abs(width() - shown.width) > 16) show(shown.hist, shown.error);
  });
  resized.observe(history);
  async function loadHistory() {
    const asked = hours;
    loaded += 1;
    const mine = loaded;
    let hist;
    let error;
    try {
      hist = await api(`/api/system/history?hours=${asked}`);
    } catch (err) {
      error = err.message;
    }
    // A range chosen meanwhile wins over an older answer.
    if (dead || mine !== loaded) return;
    show(hist, error);
  }
  function choose(r) {
    if (r === hours) return;
    hours = r;
    // Replaced, not pushed: the page is not opened again (hashchange), and Back leaves the page.
    window.history.replaceState(null, '', `#/system/${r}h`);
    show(undefined, undefined);
    void loadHistory();
  }
  show(undefined, undefined);
  /** The last health read, for the page to come back with after a language switch. */
  let read = was?.read;

  function render(health, error, at) {
    read = { health, error, at };
    if (error) {
      fill(
        page,
        h('h1', {}, t('navSystem')),
        tile('sys-service', t('sysService'), 'bad', t('sysUnreachable'), error),
      );
      return;
    }
    const c = health.checks;
    const core = c.core?.lastMinute;
    const sinks = c.outbox?.sinks ?? {};
    const coreLevel = core ? waitLevel(core.waitP99Ms, core.waitMaxMs) : 'ok';
    const panels = c.panels;
    // Many lost together: the network's, a carrier's or the centre's own link's fault (one trouble).
    const panelsLost = lostTogether('panels', panels);
    const panelsLevel =
      panels?.lostTogetherLevel ?? (panels ? onlineLevel(panels.online, panels.panels) : 'ok');
    const cams = c.cameras;
    const camerasLost = lostTogether('cameras', cams);
    const camerasLevel = cams?.lostTogetherLevel ?? (cams ? onlineLevel(cams.up, cams.cameras) : 'ok');
    const levels = Object.values(sinks).map(sinkLevel);
    const failing = levels.filter((l) => l === 'bad').length;
    const slow = levels.filter((l) => l === 'warn').length;
    const rec = c.recording;
    const recProblems = rec
      ? [
          storageSentence(rec.storageShort, rec.storageFull),
          ...recordingSentences(rec.camerasFailing, rec.camerasDropping),
        ].filter(Boolean)
      : [];
    const recLevel = rec
      ? recordingLevel(rec.camerasFailing, rec.camerasDropping, rec.storageShort, rec.storageFull)
      : 'ok';
    const problems = [
      c.db !== 'ok' ? t('sysDbDown') : null,
      coreLevel !== 'ok' ? t('sysWaitSlow') : null,
      failing > 0 ? t('sysSinksFailing', { n: failing }) : null,
      slow > 0 ? t('sysSinksSlow', { n: slow }) : null,
      panelsLost ??
        (panels && panels.online < panels.panels
          ? t('sysPanelsOffline', { n: panels.panels - panels.online })
          : null),
      camerasLost ??
        (cams && cams.up < cams.cameras ? t('sysCamerasDown', { n: cams.cameras - cams.up }) : null),
      ...recProblems,
    ].filter(Boolean);
    const overall =
      c.db !== 'ok' ||
      failing > 0 ||
      coreLevel === 'bad' ||
      recLevel === 'bad' ||
      panelsLevel === 'bad' ||
      camerasLevel === 'bad'
        ? 'bad'
        : problems.length
          ? 'warn'
          : 'ok';
    fill(
      page,
      h(
        'header',
        { class: 'sys-head' },
        h('h1', {}, t('navSystem')),
        h(
          'div',
          { class: 'muted' },
          t('sysRefreshed', {
            time: fmtTime(at),
            uptime: fmtSeconds(health.uptimeSeconds ?? 0, { long: true }),
            version: health.version ?? '',
          }),
        ),
      ),
      h(
        'div',
        { class: `sys-banner sys-${overall}`, id: 'sys-banner', role: 'status', dataset: { level: overall } },
        problems.length ? t('sysAttention', { list: problems.join(t('sysListJoin')) }) : t('sysAllOk'),
        // Who has taken charge of what, as the desks' badge heard it.
        problems.length
          ? takenInCharge().map((x) =>
              h('div', { class: 'sys-banner-ack' }, ackedBy(x.ack), t('sysAckedOf'), x.text),
            )
          : null,
      ),
      h(
        'div',
        { class: 'sys-tiles' },
        h(
          'section',
          {
            class: `card sys-tile sys-wide sys-${coreLevel}`,
            id: 'sys-alarm-path',
            dataset: { level: coreLevel },
          },
          h('h3', {}, t('sysAlarmPath')),
          !core
            ? h('div', { class: 'muted' }, t('noData'))
            : [
                // A quiet minute has no wait to show: say so rather than "0 ms".
                core.committed > 0
                  ? [
                      h('div', { class: 'sys-big' }, t('sysWaitP99', { v: ms(core.waitP99Ms) })),
                      h(
                        'div',
                        { class: 'muted sys-line' },
                        t('sysWaitLine', {
                          n: core.committed,
                          p50: ms(core.waitP50Ms),
                          max: ms(core.waitMaxMs),
                        }),
                      ),
                    ]
                  : h('div', { class: 'sys-big' }, t('sysQuietMinute')),
                trace(waits),
                h('div', { class: 'muted small' }, t('sysTraceNote')),
              ],
        ),
        panels
          ? tile(
              'sys-panels',
              t('sysPanels'),
              panelsLevel,
              t('sysOnlineOf', { n: panels.online, of: panels.panels }),
              t('sysPanelsLine', { n: panels.connected ?? 0, port: panels.port ?? '—' }),
              panels.lost > 0 ? t('sysPanelsLost', { n: panels.lost }) : null,
              panelsLost,
            )
          : null,
        cams
          ? tile(
              'sys-cameras',
              t('sysCameras'),
              camerasLevel,
              cams.cameras === 0 ? t('sysNoCameras') : t('sysOnlineOf', { n: cams.up, of: cams.cameras }),
              cams.lost > 0 ? t('sysCamerasLost', { n: cams.lost }) : null,
              camerasLost,
            )
          : null,
        rec
          ? tile(
              'sys-recording',
              t('sysRecording'),
              recLevel,
              recLevel === 'ok' ? t('sysOk') : recProblems[0],
              ...(recLevel === 'ok' ? [t('sysRecordingLine')] : recProblems.slice(1)),
            )
          : null,
        c.dc09
          ? tile(
              'sys-dc09',
              t('sysDc09'),
              'ok',
              t('sysDc09Big', { n: c.dc09.connections ?? 0 }),
              t('sysDc09Line', { port: c.dc09.port ?? '—', n: c.dc09.accounts ?? 0 }),
            )
          : null,
        tile('sys-db', t('sysDb'), c.db === 'ok' ? 'ok' : 'bad', c.db === 'ok' ? t('sysOk') : t('sysDbDown')),
        c.cluster
          ? tile(
              'sys-cluster',
              t('sysCluster'),
              'ok',
              t('sysNodesN', { n: c.cluster.nodes }),
              t('sysThisNode', { node: c.cluster.node, n: c.cluster.cameras ?? 0 }),
            )
          : null,
      ),
      history,
      h(
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
      ),
    );
  }

  /** Health answers without a login, and answers 503 with the same body when the database is down. */
  async function readHealth() {
    let res;
    try {
      res = await fetch('/api/health', { cache: 'no-store' });
    } catch {
      throw new Error(t('sysNoAnswer'));
    }
    const body = await res.json().catch(() => undefined);
    if (!body?.checks) throw new Error(t('sysNoAnswer'));
    return body;
  }

  async function refresh() {
    const at = new Date().toISOString();
    try {
      const health = await readHealth();
      if (dead) return;
      waits.push(
        health.checks.core?.lastMinute?.committed ? health.checks.core.lastMinute.waitP99Ms : undefined,
      );
      if (waits.length > TRACE) waits.shift();
      render(health, undefined, at);
    } catch (err) {
      if (!dead) render(undefined, err.message, at);
    }
  }

  if (was) {
    // The history card is in the page once the tiles are: drawn then, at its width.
    if (read) render(read.health, read.error, read.at);
    if (was.hist || was.histError) show(was.hist, was.histError);
    page.scrollTop = was.scrollTop;
  }
  void refresh();
  void loadHistory();
  const timer = setInterval(() => void refresh(), EVERY_MS);
  const historyTimer = setInterval(() => void loadHistory(), HISTORY_EVERY_MS);
  return () => {
    left = {
      lang,
      at: Date.now(),
      waits,
      read,
      hist: shown.hist,
      histError: shown.error,
      scrollTop: page.scrollTop,
    };
    dead = true;
    clearInterval(timer);
    clearInterval(historyTimer);
    resized.disconnect();
  };
}
