import type { Incident } from './incident-types.js';

/** Part name of the hook modules publish to annotate incidents (issue 9 adds `verification`). */
export const INCIDENT_EXTEND = 'incident.extend';

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
