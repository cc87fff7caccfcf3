import type { PanelAck, PanelWireEvent } from '../../drivers/mqtt-panel/protocol.js';
import { eventKey, type NormalizedEvent } from '../core/events.js';
import type { IncidentState } from '../core/incident-types.js';
import { mapCid } from './cid-codes.js';

const ALARMS = new Set<string>(['panic', 'duress', 'fire', 'medical', 'intrusion']);

/** Maps a validated wire event to the normalized model; a known Contact ID code decides the type. */
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
  // Kept although malformed, or with the device clock far off: recorded on the event, shown to the
  // operator; the core dates it by `receivedAt`.
  const flags: Record<string, unknown> = {
    ...(ev.problems ? { malformed: ev.problems } : {}),
    ...(ev.clockSkewSeconds !== undefined ? { clockSkewSeconds: ev.clockSkewSeconds } : {}),
  };
  if (Object.keys(flags).length > 0) out.detail = flags;
  if (ev.cid !== undefined) {
    out.cid = ev.cid;
    const mapped = mapCid(ev.cid);
    if (mapped && ALARMS.has(ev.type) && !ALARMS.has(mapped.type)) {
      // Never let a code downgrade an alarm (no alarm may be missed): keep the alarm, note the code.
      out.detail = { ...flags, ...mapped.detail, cidType: mapped.type };
    } else if (mapped) {
      // The Contact ID code is the panel firmware's own word; the JSON type is often a gateway's
      // coarser mapping. Keep what the panel said when they differ, for the investigator.
      out.type = mapped.type;
      out.detail = {
        ...flags,
        ...mapped.detail,
        ...(mapped.type !== ev.type ? { wireType: ev.type } : {}),
      };
    } else {
      out.detail = { ...flags, cidUnknown: true };
    }
  }
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
