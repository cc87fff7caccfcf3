import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatContactId } from '../../drivers/sia-dc09/contact-id.js';
import { formatSiaData } from '../../drivers/sia-dc09/sia-data.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { dc09CityYaml, dc09Port, dialler, metric } from './dc09-fixture.js';

/** The real service with its DC-09 receiver on loopback: panels dial it as they would over the network. */
describe('DC-09 through the real service', () => {
  let svc: TestService;
  const diallers: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    svc = await startTestService({ yaml: dc09CityYaml() });
  });
  afterAll(async () => {
    for (const d of diallers) await d.close();
    await svc?.close();
  });
  const dial = (...args: Parameters<typeof dialler> extends [unknown, ...infer R] ? R : never) => {
    const d = dialler(svc, ...args);
    diallers.push(d);
    return d;
  };
  const siaEvents = () =>
    svc.svc
      .need('store')
      .db.prepare("SELECT key, type, zone FROM events WHERE source = 'sia' ORDER BY rowid")
      .all() as {
      key: string;
      type: string;
      zone: string | null;
    }[];

  it('shows the receiver port on /api/health', async () => {
    const { body } = await api<{ checks: { dc09: { port: number; accounts: number } } }>(
      `${svc.httpUrl}/api/health`,
      undefined,
    );
    expect(body.checks.dc09).toMatchObject({ port: dc09Port(svc), accounts: 3 });
  });

  it('a DC-09 panic over TCP becomes incident:new on the operator socket, ACKed only after the commit', async () => {
    const token = await svc.login('op-city');
    const socket = await opsClient(svc.httpUrl, token);
    const d = dial('panel-1');
    const seen = nextEvent<Incident>(socket, 'incident:new', (i) => i.site === 'shop-1');
    // A slow disk: the commit takes 300 ms more. The ACK must wait for it.
    const core = svc.svc.need('core');
    const ingest = core.ingest.bind(core);
    const slow = vi.spyOn(core, 'ingest').mockImplementationOnce(async (ev) => {
      await new Promise((r) => setTimeout(r, 300));
      return ingest(ev);
    });
    const before = siaEvents().length;
    const reply = await d.send({
      type: 'SIA-DCS',
      data: formatSiaData({ account: '1234', area: '1', code: 'PA', address: '001' }),
    });
    // The moment the ACK is in, the event is a committed row.
    expect(siaEvents().length).toBe(before + 1);
    slow.mockRestore();
    expect(reply).toMatchObject({ kind: 'ACK', seq: '0001', line: '1', account: '1234', attempts: 1 });
    expect(reply.ms).toBeGreaterThanOrEqual(300);
    const inc = await seen;
    expect(inc).toMatchObject({ site: 'shop-1', priority: 1, state: 'new' });
    expect(inc.events).toEqual([expect.objectContaining({ type: 'panic', zone: '1', device: 'panel-1' })]);
    const ev = await svc.svc.need('store').events.get(inc.events[0]?.key as string);
    expect(ev).toMatchObject({
      source: 'sia',
      type: 'panic',
      cid: 'E120',
      zone: '1',
      detail: expect.objectContaining({
        siaCode: 'PA',
        area: '1',
        dc09: expect.objectContaining({ account: '1234', seq: '0001' }),
      }),
    });
    socket.close();
  });

  it('an encrypted DC-09 panic over UDP becomes incident:new; the ACK is encrypted', async () => {
    const token = await svc.login('op-city');
    const socket = await opsClient(svc.httpUrl, token);
    const d = dial('panel-2', { transport: 'udp' });
    const seen = nextEvent<Incident>(socket, 'incident:new', (i) => i.site === 'bank-2');
    const reply = await d.send({
      type: 'ADM-CID',
      data: formatContactId({ account: 'AB12', qualifier: 'new', code: '122', partition: '01', zone: '007' }),
    });
    expect(reply).toMatchObject({ kind: 'ACK', encrypted: true, account: 'AB12' });
    const inc = await seen;
    expect(inc).toMatchObject({ site: 'bank-2', priority: 1 });
    expect(inc.events).toEqual([expect.objectContaining({ type: 'panic', zone: '7', device: 'panel-2' })]);
    socket.close();
  });

  it('while the commit fails no ACK goes out; the repeat is ACKed and stored once', async () => {
    const core = svc.svc.need('core');
    const spy = vi.spyOn(core, 'ingest').mockRejectedValueOnce(new Error('disk I/O error'));
    // The failed commit gets no answer: the panel repeats after its timeout (1.5 s; more on a busy machine).
    const d = dial('panel-1', { timeoutMs: 1500, attempts: 4 });
    const before = siaEvents().length;
    const reply = await d.send({
      type: 'SIA-DCS',
      data: formatSiaData({ account: '1234', code: 'FA', address: '2' }),
    });
    spy.mockRestore();
    expect(reply.kind).toBe('ACK');
    expect(reply.attempts).toBeGreaterThanOrEqual(2);
    expect(siaEvents().length - before).toBe(1);
    expect(await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'failed' })).toBe(1);
  });

  it('a repeat (same sequence and content, new timestamp) is one event; the same sequence and content two windows later is new', async () => {
    const d = dial('panel-1');
    const msg = {
      type: 'SIA-DCS' as const,
      data: formatSiaData({ account: '1234', code: 'BA', address: '2' }),
    };
    const before = siaEvents().length;
    for (const skew of [0, 1500]) {
      const reply = await d.sendRaw(d.frame(msg, '0500', Date.now() + skew));
      expect(reply?.toString('latin1')).toContain('"ACK"0500');
    }
    expect(siaEvents().length - before).toBe(1);
    // Sequence numbers wrap at 9999 and restart after a reboot: 0500 with the same burglary later is a new one.
    await new Promise((r) => setTimeout(r, 4100));
    expect((await d.sendRaw(d.frame(msg, '0500')))?.toString('latin1')).toContain('"ACK"0500');
    expect(siaEvents().length - before).toBe(2);
    // 9999 then 0001: two messages, two events.
    const wrap = dial('panel-1', { firstSeq: 9999 });
    expect((await wrap.send({ type: 'SIA-DCS', data: '#1234|NRP' })).seq).toBe('9999');
    expect((await wrap.send({ type: 'SIA-DCS', data: '#1234|NRP' })).seq).toBe('0001');
    expect(siaEvents().length - before).toBe(4);
  });

  it('openings and closings set the panel armed state shown by the panels API', async () => {
    const token = await svc.login('op-city');
    const d = dial('panel-2');
    await d.send({
      type: 'SIA-DCS',
      data: formatSiaData({ account: 'AB12', area: '1', code: 'CL', address: '501' }),
    });
    const armed = await api<{ armed: string }>(`${svc.httpUrl}/api/panels/panel-2`, token);
    expect(armed.body.armed).toBe('away');
    await d.send({
      type: 'ADM-CID',
      data: formatContactId({ account: 'AB12', qualifier: 'new', code: '401', partition: '01', zone: '501' }),
    });
    const disarmed = await api<{ armed: string }>(`${svc.httpUrl}/api/panels/panel-2`, token);
    expect(disarmed.body.armed).toBe('disarmed');
    const last = siaEvents().at(-1);
    const ev = await svc.svc.need('store').events.get(last?.key as string);
    expect(ev).toMatchObject({
      type: 'disarm',
      cid: 'E401',
      detail: expect.objectContaining({ user: '501', area: '01' }),
    });
    expect(ev?.zone).toBeUndefined();
  });

  it('a panel sending local time and a binary CRC is read when configured for both quirks', async () => {
    const d = dial('panel-3');
    const reply = await d.send({ type: 'SIA-DCS', data: '#5678|Nri1/RP' });
    expect(reply.kind).toBe('ACK');
    const last = siaEvents().at(-1);
    const ev = await svc.svc.need('store').events.get(last?.key as string);
    // The panel's clock says 8 hours later; stored in UTC, within seconds of now.
    expect(Math.abs(Date.parse(ev?.ts as string) - Date.now())).toBeLessThan(5000);
    expect(ev).toMatchObject({ type: 'test', device: 'panel-3' });
  });

  it('an unknown account is answered DUH, stored nowhere, counted', async () => {
    const d = dial('panel-1', { account: '9999', attempts: 1 });
    const before = siaEvents().length;
    expect((await d.send({ type: 'SIA-DCS', data: '#9999|NPA1' })).kind).toBe('DUH');
    expect(siaEvents().length).toBe(before);
    expect(await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'unknown_account' })).toBe(1);
    expect(await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'ack' })).toBeGreaterThan(5);
  });
});
