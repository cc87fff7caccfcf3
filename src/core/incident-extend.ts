import type { Tx } from '../store/decision-store.js';
import type { NormalizedEvent } from './events.js';
import type { Incident } from './incident-types.js';

/** Part name of the hook modules publish to annotate incidents (issue 9 adds `verification`). */
export const INCIDENT_EXTEND = 'incident.extend';

/**
 * Part name of the asynchronous annotations (issue 17: `plan`, `owner`, `calls`...): a list of
 * functions that read the store (Kysely, SQLite or PostgreSQL) for a page of incidents at once.
 */
export const INCIDENT_EXTEND_ASYNC = 'incident.extendAsync';
export type AsyncExtender = (incs: readonly Incident[]) => Promise<Incident[]>;

/**
 * The incident as every outside view shows it (REST, Socket.IO `/ops`, webhooks): the stored incident
 * plus what the `incident.extend` hook adds. Looked up per call, so a view built before the module
 * that publishes the hook has started still sees it. The hook costs one indexed read per incident.
 */
export function incidentExtender(parts: ReadonlyMap<string, unknown>): (inc: Incident) => Incident {
  return (inc) => {
    const fn = parts.get(INCIDENT_EXTEND) as ((i: Incident) => Incident) | undefined;
    return fn ? fn(inc) : inc;
  };
}

/**
 * The synchronous hook and then every asynchronous one, for a page of incidents (one query per
 * annotation for the page, not per incident). REST and `/ops` views use this.
 */
export function incidentsViewer(
  parts: ReadonlyMap<string, unknown>,
): (incs: readonly Incident[]) => Promise<Incident[]> {
  const sync = incidentExtender(parts);
  return async (incs) => {
    let out = incs.map(sync);
    const more = (parts.get(INCIDENT_EXTEND_ASYNC) as AsyncExtender[] | undefined) ?? [];
    for (const fn of more) out = await fn(out);
    return out;
  };
}

/** One incident through `incidentsViewer`. */
export function incidentViewer(parts: ReadonlyMap<string, unknown>): (inc: Incident) => Promise<Incident> {
  const many = incidentsViewer(parts);
  return async (inc) => (await many([inc]))[0]!;
}

/** Part name of the events the panel module rehearsed (`rehearsalEvents`), for `rehearseViews`. */
export const REHEARSAL_EVENTS = 'rehearsal.events';

/**
 * Issue 13: the push of the first alarm after a start is read as fast as the rest. The core decides
 * `event` in a transaction it rolls back (`EventCore.rehearse`), the incident's view is read inside
 * it as the bus relay reads it for `incident:new` (`view`, with the transaction), and the view then
 * goes through every annotation the modules added (`viewer`: after the rollback, so their reads find
 * no rows; what they pay for once, building and preparing their statements, is paid). Nothing is
 * pushed or kept. Returns the views read.
 */
export async function rehearseViews(
  core: {
    rehearse(
      events: readonly NormalizedEvent[],
      rounds: number,
      during: (tx: Tx, incidents: string[]) => Promise<void>,
    ): Promise<void>;
  },
  views: { view(id: string, eventsLimit: undefined, tx: Tx): Promise<Incident | undefined> },
  viewer: (incs: readonly Incident[]) => Promise<Incident[]>,
  event: NormalizedEvent,
  rounds = 2,
): Promise<number> {
  let read = 0;
  for (let r = 0; r < rounds; r++) {
    const seen: Incident[] = [];
    await core.rehearse([event], 1, async (tx, ids) => {
      for (const id of ids) {
        const inc = await views.view(id, undefined, tx);
        if (inc) seen.push(inc);
      }
    });
    if (seen.length > 0) await viewer(seen);
    read += seen.length;
  }
  return read;
}
