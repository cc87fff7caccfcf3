import {
  type PanelWireEvent,
  type PanelWireEventType,
  parsePanelEvent,
} from '../../drivers/mqtt-panel/protocol.js';
import type { Config } from '../config/schema.js';
import type { Directory } from '../core/directory.js';
import type { NormalizedEvent } from '../core/events.js';
import { toNormalized } from './panel-mapping.js';

/** An alarm that opens an incident, one that may join it, and a restore that reads a ticket. */
const TYPES: readonly PanelWireEventType[] = ['panic', 'intrusion', 'restore'];

/**
 * The events the core rehearses before panels may connect (issue 13, `EventCore.rehearse`): what
 * `panel` (`rehearsalPanel`) would send, parsed and mapped as the transport does (which also builds
 * the payload validator, on its first use otherwise).
 */
export function rehearsalEvents(
  panel: { id: string; site: string },
  mqtt: Pick<Config['mqtt'], 'maxPayloadBytes' | 'maxClockSkewSeconds'>,
  now: Date,
): NormalizedEvent[] {
  const opts = {
    maxBytes: mqtt.maxPayloadBytes,
    maxSkewMs: mqtt.maxClockSkewSeconds * 1000,
    now: now.getTime(),
  };
  return TYPES.map((type) => {
    const payload = Buffer.from(JSON.stringify({ id: 'rehearsal', type, zone: '1', ts: now.toISOString() }));
    return toNormalized(panel.id, panel.site, parsePanelEvent(payload, opts), now);
  });
}

/**
 * The panel whose alarms are rehearsed: the first that can log in over MQTT and has a site. None when
 * no panel can (a DC-09-only city): then nothing is rehearsed.
 */
export function rehearsalPanel(dir: Directory): { id: string; site: string } | undefined {
  return dir.allPanels().find((p) => p.secret !== undefined && dir.site(p.site) !== undefined);
}

/**
 * The embedded broker's rehearsal (`PanelBrokerHooks.rehearse`): its panic, which arrives under the
 * broker's own client id, decided as the rehearsal panel's and rolled back.
 */
export function rehearseAs(
  panel: { id: string; site: string },
  core: { rehearse(events: readonly NormalizedEvent[]): Promise<void> },
): (wire: PanelWireEvent) => Promise<void> {
  return (wire) => core.rehearse([toNormalized(panel.id, panel.site, wire, new Date())]);
}
