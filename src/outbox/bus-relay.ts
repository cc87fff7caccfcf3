import type { Bus, IncidentChange } from '../bus.js';
import type { NormalizedEvent } from '../core/events.js';
import type { Escalation, Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { OutboxRow } from './outbox.js';
import type { OutboxSink } from './outbox-dispatcher.js';

export interface IncidentViews {
  /** The incident as pushes show it: its fields and its latest events only. */
  view(id: string): Promise<Incident | undefined>;
}

/**
 * Feeds the in-process bus from the outbox, for the listeners that act on changes as they happen:
 * socket rooms, PTZ, verification, alarm clips, the escalation room. Each incident is read once per
 * batch, and the events that joined one incident in a batch are pushed as one update: a runaway
 * panel's ten thousand events make a few pushes, not ten thousand full incidents.
 */
export function busRelaySink(deps: {
  bus: Bus;
  views: IncidentViews;
  log: Logger;
  /**
   * In a cluster every node relays every row to its own sockets, so each keeps its own cursor
   * (`bus:<nodeId>`): with one shared cursor a node that started later skipped what another had relayed.
   */
  nodeId?: string;
}): OutboxSink {
  return {
    name: deps.nodeId ? `bus:${deps.nodeId}` : 'bus',
    durable: true,
    urgent: true,
    batch: 512,
    async handle(rows) {
      const views = new Map<string, Incident | undefined>();
      const view = async (id: string) => {
        if (!views.has(id)) views.set(id, await deps.views.view(id));
        return views.get(id);
      };
      // Event joins of one incident, coalesced: pushed once, after the batch's other changes.
      const joined = new Map<string, { last: string; count: number }>();
      const emit = async (row: OutboxRow) => {
        const id = row.incidentId;
        switch (row.topic) {
          case 'event:stored':
            if (!row.payload['redelivered'])
              deps.bus.emit('event:stored', row.payload['event'] as NormalizedEvent);
            return;
          case 'incident:new': {
            const inc = id ? await view(id) : undefined;
            if (inc) deps.bus.emit('incident:new', inc);
            return;
          }
          case 'incident:update': {
            const change = row.payload['change'] as IncidentChange;
            if (!id) return;
            if (change.kind === 'event') {
              const j = joined.get(id) ?? { last: change.eventKey, count: 0 };
              j.last = change.eventKey;
              j.count += change.count ?? 1;
              joined.set(id, j);
              return;
            }
            const inc = await view(id);
            if (inc) deps.bus.emit('incident:update', inc, change);
            return;
          }
          case 'incident:escalated': {
            const inc = id ? await view(id) : undefined;
            if (inc) deps.bus.emit('incident:escalated', inc, row.payload['escalation'] as Escalation);
            return;
          }
          default:
            return;
        }
      };
      for (const row of rows) {
        try {
          await emit(row);
        } catch (err) {
          // A listener that throws must not make every other listener hear this row again.
          deps.log.error({ err, seq: row.seq, topic: row.topic }, 'outbox: a bus listener failed');
        }
      }
      for (const [id, j] of joined) {
        const inc = await view(id);
        if (!inc) continue;
        try {
          deps.bus.emit('incident:update', inc, { kind: 'event', eventKey: j.last, count: j.count });
        } catch (err) {
          deps.log.error({ err, incident: id }, 'outbox: a bus listener failed');
        }
      }
    },
  };
}
