// The monthly report's charts and the words around them (web/report.html, report-page.js): Chart.js
// charts that say when they have nothing to draw, the response-time buckets in 秒 and 分, the
// 三色评定 doughnut with its counts, the month and its zone as people name them.
import { h } from './dom.js';
import { getLang, t, tv } from './i18n.js';
import { formatIn } from './zone.js';

export const COLORS = {
  red: '#d7263d',
  yellow: '#e8b610',
  green: '#24a35a',
  blue: '#2f6fdb',
  grey: '#8a94a6',
  orange: '#f28c28',
};

/**
 * Whole-percent shares of `counts` that add up to exactly 100 (largest remainder): each share rounded
 * alone can read 62% + 31% + 8% = 101% (8, 4 and 1 sites). Each gets its floor, then the points left go
 * to the largest remainders; a tie goes to the larger count, then to the earlier one. All zero: zeros.
 * `whole` is what they add up to: 1000 gives tenths of a percent (33.4% + 33.3% + 33.3%).
 */
export function wholeShares(counts, whole = 100) {
  const total = counts.reduce((a, n) => a + n, 0);
  if (total === 0) return counts.map(() => 0);
  const exact = counts.map((n) => (n * whole) / total);
  const out = exact.map(Math.floor);
  let left = whole - out.reduce((a, n) => a + n, 0);
  const order = counts
    .map((n, i) => ({ i, n, rest: exact[i] - out[i] }))
    .sort((a, b) => b.rest - a.rest || b.n - a.n || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i] += 1;
    left -= 1;
  }
  return out;
}

/** Steps of the seconds axis that read as whole units (10 秒, 30 秒, 1 分, 5 分 …), about five of them. */
const STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
export function secondsStep(values) {
  const max = Math.max(0, ...values.filter((v) => typeof v === 'number'));
  return STEPS.find((s) => max / s <= 6) ?? STEPS.at(-1);
}

/** Whether a chart's data has nothing to draw (every value 0 or missing). */
const nothingIn = (data) => data.datasets.every((d) => d.data.every((v) => !v));

/**
 * A Chart.js chart; when its data is all zeros, a box of the same size saying so (`empty`: why there
 * is nothing) instead of bare axes, which read as a chart that failed to load.
 */
export function chart(type, data, options = {}, empty = '') {
  if (nothingIn(data))
    return h(
      'div',
      { class: 'chart chart-empty' },
      h('div', {}, h('b', {}, t('rpNoData')), empty ? h('span', { class: 'muted' }, empty) : null),
    );
  const canvas = h('canvas');
  const box = h('div', { class: 'chart' }, canvas);
  // Built after the canvas is in the page; no animation, so a print shows the final drawing.
  queueMicrotask(() => {
    new window.Chart(canvas, {
      type,
      data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: data.datasets.length > 1 } },
        ...options,
      },
    });
  });
  return box;
}

/**
 * The response-time buckets in words: "0–30 秒", "30 秒–1 分", "1–2 分" … "60 分以上" ("0–30 s",
 * "30 s–1 min", "over 60 min"); a unit once when both ends share it.
 */
export function bucketLabels(bounds) {
  const unit = (s) => (s < 60 ? ['rpSec', s] : ['rpMin', s / 60]);
  const one = (s) => t(unit(s)[0], { n: unit(s)[1] });
  const span = (a, b) =>
    unit(a)[0] === unit(b)[0] ? t(unit(b)[0], { n: `${unit(a)[1]}–${unit(b)[1]}` }) : `${one(a)}–${one(b)}`;
  return [
    ...bounds.map((b, i) => span(i === 0 ? 0 : bounds[i - 1], b)),
    t('rpOver', { v: one(bounds.at(-1)) }),
  ];
}

/** `2026-12` as the console words a month: "2026年12月" ("12/2026"). */
export function monthText(month) {
  const [y, m] = month.split('-').map(Number);
  return t('monthLabel', { y, m });
}

const BEIJING = new Set(['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Chungking', 'Asia/Harbin', 'PRC']);

/**
 * The report's zone as people name it: 北京时间 for China's, else the zone's name in the page's
 * language ("乌鲁木齐时间"); the IANA id only when the browser has no name for it.
 */
export function zoneText(tz, at) {
  if (BEIJING.has(tz)) return t('rpZoneBeijing');
  try {
    for (const timeZoneName of ['longGeneric', 'long']) {
      const name = formatIn(getLang(), { timeZoneName }, tz)
        .formatToParts(at)
        .find((p) => p.type === 'timeZoneName')?.value;
      if (name && !name.startsWith('GMT')) return name;
    }
  } catch (err) {
    // A zone this browser does not know: its id is still the truth.
    console.warn('report: zone name', err);
  }
  return tz;
}

/**
 * The 三色评定 doughnut with its counts beside it (the canvas alone shows colours, not how many):
 * each colour's sites and share, and the total.
 */
export function ratingsChart(counts) {
  const keys = ['green', 'yellow', 'red'];
  const total = keys.reduce((a, k) => a + (counts[k] ?? 0), 0);
  const shares = wholeShares(keys.map((k) => counts[k] ?? 0));
  const doughnut = chart(
    'doughnut',
    {
      labels: keys.map((x) => tv('rating', x)),
      datasets: [{ data: keys.map((k) => counts[k] ?? 0), backgroundColor: keys.map((k) => COLORS[k]) }],
    },
    { plugins: { legend: { display: false } } },
    t('rpEmptyRatings'),
  );
  if (total === 0) return doughnut;
  return h(
    'div',
    { class: 'rating-chart' },
    doughnut,
    h(
      'div',
      { class: 'rating-side' },
      h(
        'ul',
        { class: 'rating-legend' },
        keys.map((k, i) =>
          h(
            'li',
            { dataset: { rating: k } },
            h('span', { class: `swatch ${k}` }),
            h('span', { class: 'rating-name' }, tv('rating', k)),
            ' ',
            h('b', {}, t('rpSitesN', { n: counts[k] ?? 0 })),
            ' ',
            h('span', { class: 'muted' }, `${shares[i]}%`),
          ),
        ),
      ),
      h('div', { class: 'muted' }, t('rpRatedTotal', { n: total })),
    ),
  );
}
