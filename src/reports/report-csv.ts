import type { Spread } from './figures.js';
import type { MonthlyReport } from './monthly-report.js';

/** The columns of the monthly report's CSV: one figure a row ("long" form, for pivot tables). */
export const CSV_HEADER = ['section', 'group', 'item', 'measure', 'value'] as const;

type Cell = string | number | boolean | null | undefined;

/** RFC 4180 quoting; a cell that a spreadsheet would run as a formula is prefixed with `'`. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',');
}

/**
 * The monthly report as CSV (`format=csv`): a header row, then `section,group,item,measure,value`
 * rows. Times are seconds; empty value = no data (no sample in the month).
 */
export function monthlyCsv(r: MonthlyReport): string {
  const rows: Cell[][] = [];
  const add = (section: string, group: string, item: string, measure: string, value: Cell) =>
    rows.push([section, group, item, measure, value]);
  const spread = (section: string, group: string, item: string, s: Spread) => {
    add(section, group, item, 'count', s.count);
    add(section, group, item, 'p50_seconds', s.p50);
    add(section, group, item, 'p90_seconds', s.p90);
    add(section, group, item, 'max_seconds', s.max);
  };
  const f = r.figures;
  add('report', r.node.id, r.node.name, 'month', r.month);
  add('report', r.node.id, r.node.name, 'timezone', r.timezone);
  add('report', r.node.id, r.node.name, 'final', r.final);
  for (const [k, v] of Object.entries(f.counts))
    if (typeof v === 'number') add('counts', r.node.id, '', k, v);
  for (const t of f.counts.byType) add('counts_by_type', r.node.id, t.kind, t.type, t.count);
  for (const p of f.counts.byPriority) add('counts_by_priority', r.node.id, '', `P${p.priority}`, p.count);
  // Closed alarms by outcome / false-alarm cause: item is the state, measure the code (`none`: not given).
  for (const o of f.counts.byOutcome)
    add('counts_by_outcome', r.node.id, o.state, o.outcome ?? 'none', o.count);
  for (const [m, s] of Object.entries(f.response)) spread('response', r.node.id, m, s);
  for (const c of f.children) {
    add('child_counts', c.id, c.name, 'alarms', c.counts.alarms);
    add('child_counts', c.id, c.name, 'false_alarms', c.counts.falseAlarms);
    add('child_counts', c.id, c.name, 'unanswered_escalations', c.counts.unanswered);
    for (const [m, s] of Object.entries(c.response)) spread('child_response', c.id, m, s);
  }
  for (const u of f.units) {
    add('units', u.unit, u.name, 'dispatches', u.dispatches);
    add('units', u.unit, u.name, 'arrived', u.arrived);
    add('units', u.unit, u.name, 'busy_hours', u.busyHours);
    spread('unit_dispatch_to_arrival', u.unit, u.name, u.dispatchToArrival);
  }
  for (const s of f.sites) {
    add('site_false_alarms', s.site, s.name, 'alarms', s.alarms);
    add('site_false_alarms', s.site, s.name, 'false_alarms', s.falseAlarms);
    add('site_false_alarms', s.site, s.name, 'false_alarm_rate', s.falseAlarmRate);
  }
  for (const e of f.escalations.list)
    add('unanswered_escalations', e.site, e.incident, 'acknowledge_seconds', e.acknowledgeSeconds);
  for (const [kind, o] of [
    ['panel', f.offline.panels],
    ['camera', f.offline.cameras],
  ] as const) {
    add('offline', kind, '', 'seconds', o.seconds);
    add('offline', kind, '', 'episodes', o.episodes);
    add('offline', kind, '', 'devices', o.devices);
  }
  for (const d of f.offline.devices) add('offline_devices', d.kind, d.device, 'seconds', d.seconds);
  const c = r.charts;
  for (const d of c.byDay) {
    add('by_day', d.day, '', 'alarms', d.alarms);
    add('by_day', d.day, '', 'maintenance', d.maintenance);
    add('by_day', d.day, '', 'acknowledge_p50_seconds', d.acknowledgeP50);
  }
  for (const h of c.byHour) add('by_hour', String(h.hour).padStart(2, '0'), '', 'alarms', h.alarms);
  const bounds = c.distributions.bucketsSeconds;
  const label = (i: number) => (i < bounds.length ? `<${bounds[i]}s` : `>=${bounds.at(-1)}s`);
  for (const m of ['acknowledge', 'arrive'] as const)
    for (const [i, n] of c.distributions[m].entries()) add('distribution', m, label(i), 'count', n);
  for (const t of c.trend) {
    add('trend', t.month, '', 'alarms', t.alarms);
    add('trend', t.month, '', 'false_alarms', t.falseAlarms);
    add('trend', t.month, '', 'acknowledge_p50_seconds', t.acknowledge.p50);
    add('trend', t.month, '', 'arrive_p50_seconds', t.arrive.p50);
  }
  for (const [k, v] of Object.entries(r.ratings.counts)) add('ratings', r.month, '', k, v);
  for (const s of r.ratings.sites) {
    add('site_rating', s.site, s.name, 'rating', s.rating);
    add('site_rating', s.site, s.name, 'previous', s.previous);
    add('site_rating', s.site, s.name, 'months_red_or_yellow', s.alertStreak);
    add('site_rating', s.site, s.name, 'flagged', s.flagged);
  }
  for (const n of r.notices.list)
    for (const t of n.targets as { node: string; receiptSeconds: number | null }[])
      add('notice_receipts', n.id, t.node, 'receipt_seconds', t.receiptSeconds);
  return `${[csvLine(CSV_HEADER), ...rows.map(csvLine)].join('\r\n')}\r\n`;
}
