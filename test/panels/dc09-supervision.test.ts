import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { dc09CityYaml, dialler } from './dc09-fixture.js';

/**
 * DC-09-only panels are supervised by the MQTT panels' maintainer: NULL polls (and any message)
 * reset it, and an account silent past its interval raises the same communication-lost trouble.
 * Real timers: panels 2 and 3 have a 5 s interval; a fresh start waits 10 s before the first loss.
 */
describe('DC-09 supervision through the real service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ yaml: dc09CityYaml({ heartbeatSeconds: 5 }) });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a silent account raises communication-lost; a polling one does not; the next NULL restores', async () => {
    const token = await svc.login('op-city');
    const socket = await opsClient(svc.httpUrl, token);
    const polling = dialler(svc, 'panel-3');
    const silent = dialler(svc, 'panel-2');
    expect((await silent.send({ type: 'NULL' })).kind).toBe('ACK');
    const lost = nextEvent<Incident>(socket, 'incident:new', (i) => i.site === 'bank-2', 20_000);
    let polls = 0;
    const timer = setInterval(() => {
      polling.send({ type: 'NULL' }).then(
        () => polls++,
        () => undefined,
      );
    }, 2500);
    const ticket = await lost;
    clearInterval(timer);
    expect(ticket).toMatchObject({ kind: 'maintenance', priority: 4, state: 'new' });
    expect(ticket.events.map((e) => e.type)).toEqual(['trouble']);
    const trouble = await svc.svc.need('store').events.get(ticket.events[0]?.key as string);
    expect(trouble).toMatchObject({
      source: 'system',
      device: 'panel-2',
      detail: expect.objectContaining({ reason: 'communication_lost' }),
    });

    // The polling panel stayed online all along: no ticket for its site.
    expect(polls).toBeGreaterThanOrEqual(3);
    const school = await api<{ incidents: Incident[] }>(`${svc.httpUrl}/api/incidents?site=school-3`, token);
    expect(school.body.incidents).toEqual([]);
    const panels = await api<{ panels: { id: string; online: boolean; commLost: boolean }[] }>(
      `${svc.httpUrl}/api/panels`,
      token,
    );
    expect(panels.body.panels.find((p) => p.id === 'panel-3')).toMatchObject({ online: true });
    expect(panels.body.panels.find((p) => p.id === 'panel-2')).toMatchObject({ online: false });

    const closed = nextEvent<Incident>(
      socket,
      'incident:update',
      (i) => i.id === ticket.id && i.state === 'resolved',
    );
    expect((await silent.send({ type: 'NULL' })).kind).toBe('ACK');
    expect((await closed).events.map((e) => e.type)).toEqual(['trouble', 'restore']);
    socket.close();
    await polling.close();
    await silent.close();
  }, 40_000);
});
