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
