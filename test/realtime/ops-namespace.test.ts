import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncExtender, INCIDENT_EXTEND_ASYNC } from '../../src/core/incident-extend.js';
import type { Incident } from '../../src/core/incident-types.js';
import { ev } from '../core/core-fixture.js';
import {
  nextEvent,
  opsClient,
  startTestService,
  TEST_CITY_YAML,
  type TestService,
} from '../helpers/service.js';

/**
 * `/ops` relays each committed incident to the sockets of its rooms on this node. A room with no socket
 * here costs nothing: no annotation read, no packet encoded (socket.io encodes before it looks for
 * sockets). A site's owner is rarely connected, and a node of a city may have no desk at all.
 */
describe('/ops relays an incident only to rooms with a socket on this node', () => {
  let svc: TestService;
  const read: string[] = [];
  const sockets: Socket[] = [];
  beforeAll(async () => {
    svc = await startTestService({ yaml: TEST_CITY_YAML });
    // Counts the relay's annotation reads: one per incident it is about to send.
    const counting: AsyncExtender = async (incs) => {
      read.push(...incs.map((i) => i.id));
      return [...incs];
    };
    const list = (svc.svc.parts.get(INCIDENT_EXTEND_ASYNC) as AsyncExtender[] | undefined) ?? [];
    svc.svc.parts.set(INCIDENT_EXTEND_ASYNC, [...list, counting]);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await svc?.close();
  });

  it('reads and sends nothing for rooms nobody here is in, and each incident once for a room someone is in', async () => {
    const core = svc.svc.need('core');
    // Nobody connected: the shop's panic is committed and relayed to no one.
    const unheard = (await core.ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' })))
      .incident!;
    // The south desk connects; the bank's panic reaches it (the relay is in order: the shop's went first).
    const desk = await opsClient(svc.httpUrl, await svc.login('op-south', 'operator', 'south'));
    sockets.push(desk);
    const heard = nextEvent<Incident>(desk, 'incident:new');
    const bank = (await core.ingest(ev('panic', { site: 'bank-2', device: 'panel-2', zone: '1' }))).incident!;
    expect((await heard).id).toBe(bank);
    expect(read).not.toContain(unheard);
    expect(read.filter((id) => id === bank)).toHaveLength(1);
  });
});
