// The axes of 系统状态's history chart (web/js/system-history-chart.js), as a monitoring product
// draws them: the labels in a gutter left of the plot, never over the lines, each with its unit.
import { svg } from './dom.js';
import { getLang, t } from './i18n.js';
import { addDays, formatIn, instantAt, wallParts } from './zone.js';

/** The gutter left of the plot that the axes' labels sit in, in CSS pixels. */
export const GUTTER = 64;

/** The log scale's decades between its ends (0.5 ms and 5 s): each one labelled and gridded. */
const DECADES = [1, 10, 100, 1000];

/** A decade of the wait in words with its unit: 1 毫秒 … 100 毫秒, then 1 秒 (1 ms … 1 s). */
const decadeText = (v) => (v >= 1000 ? t('sysSpanSeconds', { n: v / 1000 }) : t('sysMs', { n: v }));

/**
 * The wait's axis: a gridline and a label at each decade, `y` the scale; `warn` (100 ms) keeps its
 * dashed line, drawn by the chart.
 */
export function waitAxis(y, x0, x1, warn) {
  return DECADES.map((v) => [
    v === warn ? null : svg('line', { x1: x0, x2: x1, y1: y(v), y2: y(v), class: 'sys-hist-grid' }),
    svg(
      'text',
      {
        x: x0 - 6,
        y: y(v),
        class: 'sys-hist-tick',
        'text-anchor': 'end',
        'dominant-baseline': 'middle',
        dataset: { wait: v },
      },
      decadeText(v),
    ),
  ]);
}

/**
 * The top of the stored alarms' axis: twice a round step (1, 2 or 5 × 10ⁿ alarms) that reaches the
 * most in a step, so its middle tick is a whole count too (7 → 10, 3 → 4, 1 → 2).
 */
export function countTop(most) {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (2 * m * p >= most) return 2 * m * p;
}

/** The stored alarms' axis: 0, half and the top of the bars' band, each a count, gridded. */
export function countAxis(top, barsY, barsH, x0, x1) {
  return [top, top / 2, 0].map((n) => {
    const y = barsY + barsH - (n / top) * barsH;
    return [
      svg('line', { x1: x0, x2: x1, y1: y, y2: y, class: 'sys-hist-grid' }),
      svg(
        'text',
        {
          x: x0 - 6,
          y,
          class: 'sys-hist-tick',
          'text-anchor': 'end',
          'dominant-baseline': 'middle',
          dataset: { count: n },
        },
        t('sysRowsN', { n }),
      ),
    ];
  });
}

/** Minutes between the time axis's ticks, by the range's hours: whole hours and days on the clock. */
const TICK_MINUTES = { 1: 10, 6: 60, 24: 180, 168: 720 };
const HOUR_MINUTE = { hourCycle: 'h23', hour: '2-digit', minute: '2-digit' };
/** A day on the axis: 12月7日, Dec 7. */
const DAY = { 'zh-CN': { month: 'long', day: 'numeric' }, en: { month: 'short', day: 'numeric' } };
/** Closer than this to the plot's edges, a label is anchored inside it rather than centred. */
const EDGE = 18;
/**
 * A day beginning closer than this to the left edge has its date and the first day's either side of
 * its line: room for the widest first date (12月26日, 11 px bold: about 50 px) and half the next.
 */
const NEAR = 120;
/** Between a date set either side of its day's line and the line. */
const DAY_PAD = 4;

/** A label of the time axis, kept inside the plot at its edges. */
function axisText(at, x0, x1, y, cls, text, dataset) {
  const anchor = at - x0 < EDGE ? 'start' : x1 - at < EDGE ? 'end' : 'middle';
  return svg('text', { x: at, y, class: cls, 'text-anchor': anchor, dataset }, text);
}

/**
 * The time axis on the city's clock (web/js/zone.js): ticks at whole 10 minutes, hours, 3 hours or
 * 12 hours by the range, and below them the date where each day begins (a line across the chart
 * there) and the first day's at the left, so 23:00 and 01:00 are never read as the same night.
 * `xAt(ms)` places an instant; the plot runs x0–x1, its waits and bars from `top` to `bottom`.
 */
export function timeAxis({ from, to, hours, xAt, x0, x1, top, bottom, axisY }) {
  const lang = getLang();
  const every = TICK_MINUTES[hours] ?? 60;
  const first = wallParts(from);
  const out = [];
  for (let k = 0; ; k++) {
    const at = instantAt({ year: first.year, month: first.month, day: first.day, minute: k * every });
    if (at > to) break;
    if (at < from) continue;
    const x = xAt(at);
    out.push(
      svg('line', { x1: x, x2: x, y1: top, y2: bottom, class: 'sys-hist-grid' }),
      axisText(x, x0, x1, axisY, 'sys-hist-tick', formatIn(lang, HOUR_MINUTE).format(at), {
        time: new Date(at).toISOString(),
      }),
    );
  }
  const dayText = (at) => formatIn(lang, DAY[lang] ?? DAY.en).format(at);
  const dayY = axisY + 15;
  const days = [];
  for (let n = 1; ; n++) {
    const at = instantAt(addDays(first, n));
    if (at > to) break;
    days.push(at);
  }
  // The first day's date always, at the left. Where the next day begins close to it (the last 24
  // hours seen in the late evening), the two sit either side of that day's line instead: the first
  // day's ending at it (into the gutter if need be, which the day row leaves free), the next starting
  // there, each against the part of the range it names.
  const near = days.length > 0 && xAt(days[0]) - x0 <= NEAR;
  const dayLabel = (at, x, anchor, dx) =>
    svg(
      'text',
      {
        x,
        y: dayY,
        dx,
        class: 'sys-hist-tick sys-hist-day',
        'text-anchor': anchor,
        dataset: { day: new Date(at).toISOString() },
      },
      dayText(at),
    );
  out.push(
    near
      ? dayLabel(from, xAt(days[0]), 'end', -DAY_PAD)
      : axisText(x0, x0, x1, dayY, 'sys-hist-tick sys-hist-day', dayText(from), {
          day: new Date(from).toISOString(),
        }),
  );
  days.forEach((at, i) => {
    const x = xAt(at);
    out.push(
      svg('line', { x1: x, x2: x, y1: top, y2: bottom, class: 'sys-hist-day-line' }),
      near && i === 0
        ? dayLabel(at, x, 'start', DAY_PAD)
        : axisText(x, x0, x1, dayY, 'sys-hist-tick sys-hist-day', dayText(at), {
            day: new Date(at).toISOString(),
          }),
    );
  });
  return out;
}
