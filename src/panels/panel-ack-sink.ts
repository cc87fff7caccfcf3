import type { Kysely } from 'kysely';
import type { PanelAck } from '../../drivers/mqtt-panel/protocol.js';
import type { IncidentChange } from '../bus.js';
import type { NormalizedEvent } from '../core/events.js';
import type { IncidentState } from '../core/incident-types.js';
import type { OutboxSink } from '../outbox/outbox-dispatcher.js';
import type { DB } from '../store/db-types.js';
import { ackState, wireId } from './panel-mapping.js';

/**
 * The `received` acks the panel module sent at once, as each commit resolved (the fast path: an ack
 * must not queue behind a busy minute's commits). The outbox sink sends only what is not here: after
 * a crash, everything past its cursor. Entries leave as the sink passes them, so it stays as small
 * as the sink's lag.
 */
export class AckLedger {
  private readonly sends = new Map<string, Promise<boolean>>();

  /** Records a send in flight; resolves true once the broker has taken it. */
  track(eventKey: string, send: Promise<unknown>): void {
    this.sends.set(
      eventKey,
      send.then(
        () => true,
        () => false,
      ),
    );
  }

  /** Whether the fast path delivered it (waiting for a send still in flight); forgets it either way. */
  async taken(eventKey: string): Promise<boolean> {
    const p = this.sends.get(eventKey);
    if (!p) return false;
    this.sends.delete(eventKey);
    return p;
  }

  get size(): number {
    return this.sends.size;
  }
}

/**
 * The panel events of an incident a state change is told to: per panel, the event that raised the
 * alarm and its latest one. Bounded, so a runaway panel's ten thousand events cost two acks, not ten
 * thousand, on every transition.
 */
async function eventsToTell(k: Kysely<DB>, incident: string): Promise<{ key: string; device: string }[]> {
  const q = (dir: 'asc' | 'desc') =>
    k
      .selectFrom('incident_events as ie')
      .innerJoin('events as e', 'e.key', 'ie.event_key')
      .select(['e.key', 'e.device'])
      .where('ie.incident_id', '=', incident)
      .where('e.source', '=', 'panel')
      .orderBy('e.received_at', dir)
      .limit(64)
      .execute();
  const [first, last] = await Promise.all([q('asc'), q('desc')]);
  const out = new Map<string, { key: string; device: string }>();
  for (const list of [first, last]) {
    const seen = new Set<string>();
    for (const e of list) {
      if (seen.has(e.device)) continue;
      seen.add(e.device);
      out.set(e.key, e);
    }
  }
  return [...out.values()];
}

/**
 * Panel acks from the outbox (issue 13): `received` for every committed (or redelivered) panel event
 * that the fast path did not deliver, and each later state of its incident. Durable: after a crash
 * the acks a panel was not sent are sent (the embedded broker keeps its sessions on disk, so they
 * reach a panel that is still reconnecting). At least once: a panel may see an ack twice. The acks
 * of one panel go in order (concurrent QoS 1 deliveries to one client are not safe in the broker).
 */
export function panelAckSink(deps: {
  k: Kysely<DB>;
  ledger: AckLedger;
  publishAck(panelId: string, ack: PanelAck): Promise<void>;
}): OutboxSink {
  return {
    name: 'panel-acks',
    durable: true,
    exclusive: true,
    batch: 1024,
    async handle(rows) {
      const perPanel = new Map<string, PanelAck[]>();
      const add = (panel: string, ack: PanelAck) => {
        const list = perPanel.get(panel);
        if (list) list.push(ack);
        else perPanel.set(panel, [ack]);
      };
      for (const row of rows) {
        if (row.topic === 'event:stored') {
          const ev = row.payload['event'] as NormalizedEvent;
          if (ev.source !== 'panel') continue;
          if (await deps.ledger.taken(ev.key)) continue;
          const id = wireId(ev.key, ev.device);
          if (!id) continue;
          const state = row.payload['state'] as IncidentState | undefined;
          const incident = row.payload['incident'] as string | undefined;
          add(ev.device, {
            id,
            state: state ? ackState(state) : 'received',
            ...(incident ? { incident } : {}),
          });
        } else if (row.topic === 'incident:update' && row.incidentId) {
          const change = row.payload['change'] as IncidentChange;
          if (change.kind !== 'transition') continue;
          const state = ackState(change.to as IncidentState);
          for (const e of await eventsToTell(deps.k, row.incidentId)) {
            const id = wireId(e.key, e.device);
            if (id) add(e.device, { id, incident: row.incidentId, state });
          }
        }
      }
      await Promise.all(
        [...perPanel].map(async ([panel, acks]) => {
          for (const ack of acks) await deps.publishAck(panel, ack);
        }),
      );
    },
  };
}
