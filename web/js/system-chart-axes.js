// The axes of 系统状态's history chart (web/js/system.js), as a monitoring product draws them: the
// labels in a gutter left of the plot, never over the lines, each with its unit.
import { svg } from './dom.js';
import { t } from './i18n.js';

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
