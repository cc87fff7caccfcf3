import type { IncidentTiming } from './core-repository.js';

export type Rating = 'green' | 'yellow' | 'red';

export interface SiteRating {
  site: string;
  rating: Rating;
  /** Alarm incidents opened in the month. */
  alarms: number;
  /** Of those, closed as false alarms. */
  falseAlarms: number;
  falseAlarmRate: number;
  /** Maintenance tickets opened in the month. */
  troubleTickets: number;
  /** Age in hours of the oldest maintenance ticket still open at the end of the month (or now). */
  oldestOpenTroubleHours: number;
}

/**
 * The monthly rating of a site, from what the site itself does to the police (not from how fast the
 * police answer, which is the response-time report):
 * - red: 3 or more false alarms in the month, or a trouble ticket open longer than 72 hours
 *   (a panel that cannot report is a site that is not protected);
 * - yellow: 1-2 false alarms, 3 or more trouble tickets in the month, or any ticket still open;
 * - green: otherwise.
 */
export function rateSite(
  site: string,
  incidents: readonly IncidentTiming[],
  openTickets: readonly { openedAt: string }[],
  asOf: number,
): SiteRating {
  const alarms = incidents.filter((i) => i.kind === 'alarm');
  const falseAlarms = alarms.filter((i) => i.state === 'false_alarm').length;
  const troubleTickets = incidents.filter((i) => i.kind === 'maintenance').length;
  const oldest = openTickets.reduce((m, t) => Math.max(m, asOf - Date.parse(t.openedAt)), 0);
  const oldestOpenTroubleHours = Math.max(0, Math.round((oldest / 3_600_000) * 10) / 10);
  let rating: Rating = 'green';
  if (falseAlarms >= 3 || oldestOpenTroubleHours > 72) rating = 'red';
  else if (falseAlarms >= 1 || troubleTickets >= 3 || openTickets.length > 0) rating = 'yellow';
  return {
    site,
    rating,
    alarms: alarms.length,
    falseAlarms,
    falseAlarmRate: alarms.length > 0 ? Math.round((falseAlarms / alarms.length) * 1000) / 1000 : 0,
    troubleTickets,
    oldestOpenTroubleHours,
  };
}

/** `YYYY-MM` → [start, end) in UTC. */
export function monthRange(month: string): { since: string; until: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return {
    since: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
    until: new Date(Date.UTC(y, m, 1)).toISOString(),
  };
}

export function currentMonth(now: Date): string {
  return now.toISOString().slice(0, 7);
}

/** Ratings for every site in `sites` for `month`, given the month's incidents and open tickets. */
export function rateSites(
  sites: readonly string[],
  month: string,
  incidents: readonly IncidentTiming[],
  openTickets: readonly { site: string; openedAt: string }[],
  now: Date,
): Map<string, SiteRating> {
  const { until } = monthRange(month);
  const asOf = Math.min(Date.parse(until), now.getTime());
  const bySite = new Map<string, IncidentTiming[]>();
  for (const i of incidents) {
    const list = bySite.get(i.site) ?? [];
    list.push(i);
    bySite.set(i.site, list);
  }
  const tickets = new Map<string, { openedAt: string }[]>();
  for (const t of openTickets) {
    if (Date.parse(t.openedAt) >= asOf) continue;
    const list = tickets.get(t.site) ?? [];
    list.push(t);
    tickets.set(t.site, list);
  }
  return new Map(sites.map((s) => [s, rateSite(s, bySite.get(s) ?? [], tickets.get(s) ?? [], asOf)]));
}
