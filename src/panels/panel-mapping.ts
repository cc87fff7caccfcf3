import type { PanelAck, PanelWireEvent } from '../../drivers/mqtt-panel/protocol.js';
import { eventKey, type NormalizedEvent } from '../core/events.js';
import type { IncidentState } from '../core/incident-types.js';

export function toNormalized(
  panelId: string,
  site: string,
  ev: PanelWireEvent,
  receivedAt: Date,
): NormalizedEvent {
  const out: NormalizedEvent = {
    key: eventKey('panel', panelId, ev.id),
    source: 'panel',
    device: panelId,
    site,
    type: ev.type,
    ts: new Date(ev.ts).toISOString(),
    receivedAt: receivedAt.toISOString(),
  };
  if (ev.zone !== undefined) out.zone = ev.zone;
  if (ev.cid !== undefined) out.cid = ev.cid;
  return out;
}

/** The panel's view of an incident's state (panel protocol v1 ack states). */
export function ackState(state: IncidentState): PanelAck['state'] {
  switch (state) {
    case 'new':
      return 'received';
    case 'acknowledged':
      return 'acknowledged';
    case 'dispatched':
    case 'on_scene':
      return 'dispatched';
    case 'resolved':
    case 'false_alarm':
      return 'resolved';
  }
}

/** The panel's own event id from a stored key `panel:{panelId}:{id}`. */
export function wireId(key: string, panelId: string): string | undefined {
  const prefix = `panel:${panelId}:`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}
