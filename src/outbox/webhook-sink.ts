import type { IncidentChange } from '../bus.js';
import type { Escalation, Incident } from '../core/incident-types.js';
import type { IncidentViews } from './bus-relay.js';
import type { OutboxSink } from './outbox-dispatcher.js';

export interface WebhookQueue {
  /** Writes the signed delivery rows (the webhook outbox) for one change. */
  send(
    event: 'incident:new' | 'incident:update' | 'incident:escalated',
    incident: Incident,
    extra: Record<string, unknown>,
  ): Promise<void>;
}

/**
 * Incident changes into the webhook outbox, from a cursor of their own (issue 13: not from inside the
 * core's commit). Joins of one incident in a batch become one delivery. A redelivered batch after a
 * crash may queue a change twice; receivers dedupe on `x-sharpeyes-delivery` only within one row, so
 * the cursor is saved right after each batch to keep that window small.
 */
export function webhookSink(deps: { views: IncidentViews; queue: WebhookQueue }): OutboxSink {
  return {
    name: 'webhooks',
    durable: true,
    exclusive: true,
    batch: 256,
    async handle(rows) {
      const views = new Map<string, Incident | undefined>();
      const view = async (id: string) => {
        if (!views.has(id)) views.set(id, await deps.views.view(id));
        return views.get(id);
      };
      const joined = new Map<string, { last: string; count: number }>();
      for (const row of rows) {
        const id = row.incidentId;
        if (!id) continue;
        if (row.topic === 'incident:new') {
          const inc = await view(id);
          if (inc) await deps.queue.send('incident:new', inc, {});
        } else if (row.topic === 'incident:update') {
          const change = row.payload['change'] as IncidentChange;
          if (change.kind === 'event') {
            const j = joined.get(id) ?? { last: change.eventKey, count: 0 };
            j.last = change.eventKey;
            j.count += change.count ?? 1;
            joined.set(id, j);
            continue;
          }
          const inc = await view(id);
          if (inc) await deps.queue.send('incident:update', inc, { change });
        } else if (row.topic === 'incident:escalated') {
          const inc = await view(id);
          if (inc)
            await deps.queue.send('incident:escalated', inc, {
              escalation: row.payload['escalation'] as Escalation,
            });
        }
      }
      for (const [id, j] of joined) {
        const inc = await view(id);
        if (inc)
          await deps.queue.send('incident:update', inc, {
            change: { kind: 'event', eventKey: j.last, count: j.count },
          });
      }
    },
  };
}
