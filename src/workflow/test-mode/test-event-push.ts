import type { Directory } from '../../core/directory.js';
import type { NormalizedEvent } from '../../core/events.js';
import type { OutboxSink } from '../../outbox/outbox-dispatcher.js';
import { roomsFor } from '../../realtime/ops-namespace.js';

/** What `site:test-event` carries: one event a site's test mode took, as the site desk lists it. */
export interface TestEventPush {
  site: string;
  key: string;
  device: string;
  type: string;
  zone?: string;
  at: string;
}

/**
 * Pushes each event that test mode took to the site's rooms as `site:test-event` (issue 17), so the
 * site desk lists the installer's test signal as it arrives instead of at the next reload. Test
 * events open no incident, so nothing else pushes them.
 *
 * Not durable: a push is worth nothing after a restart (the page reads the list when it opens). Runs
 * on every node for its own sockets, as the bus relay does.
 */
export function testEventPush(deps: {
  dir: Directory;
  emit: (rooms: string[], payload: TestEventPush) => void;
}): OutboxSink {
  return {
    name: 'workflow-test-push',
    durable: false,
    batch: 256,
    handle(rows) {
      for (const row of rows) {
        if (row.topic !== 'event:stored' || row.payload['diverted'] !== 'test' || row.payload['redelivered'])
          continue;
        const ev = row.payload['event'] as NormalizedEvent;
        const site = deps.dir.site(ev.site);
        if (!site) continue;
        deps.emit(roomsFor(deps.dir, { site: site.id, jurisdiction: site.jurisdiction }), {
          site: site.id,
          key: ev.key,
          device: ev.device,
          type: ev.type,
          ...(ev.zone ? { zone: ev.zone } : {}),
          at: ev.receivedAt,
        });
      }
    },
  };
}
