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
