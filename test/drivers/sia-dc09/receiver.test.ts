import { afterEach, describe, expect, it } from 'vitest';
import { keyFromHex } from '../../../drivers/sia-dc09/crypto.js';
import { Dc09Dialler, Dc09DialTimeout } from '../../../drivers/sia-dc09/dialler.js';
import type { Dc09Message, OutcomeInfo, Verdict } from '../../../drivers/sia-dc09/pipeline.js';
import { Dc09Receiver } from '../../../drivers/sia-dc09/receiver.js';
import { formatSiaData } from '../../../drivers/sia-dc09/sia-data.js';
import type { TestAccount } from './helpers.js';

const KEY = '000102030405060708090A0B0C0D0E0F';

/** A real receiver on loopback (port 0) over a fixed account table. */
async function startReceiver(handle: (m: Dc09Message<TestAccount>) => Promise<Verdict> = async () => 'ack') {
  const outcomes: OutcomeInfo[] = [];
  const accounts = new Map<string, TestAccount>([
    ['1234', { account: '1234' }],
    ['AB12', { account: 'AB12', key: keyFromHex(KEY) }],
  ]);
  const r = new Dc09Receiver<TestAccount>({
    host: '127.0.0.1',
    port: 0,
    lookup: (who) => accounts.get(who.account),
    handle,
    onOutcome: (o) => outcomes.push(o),
  });
  await r.start();
  return { r, outcomes };
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const x of running.splice(0).reverse()) await x.stop();
});
function track<T extends { stop(): Promise<void> } | Dc09Dialler>(x: T): T {
  running.push(x instanceof Dc09Dialler ? { stop: () => x.close() } : x);
  return x;
}

describe('DC-09 receiver on TCP and UDP', () => {
  it('binds TCP and UDP to the same free port', async () => {
    const { r, outcomes } = await startReceiver();
    track(r);
    expect(r.port).toBeGreaterThan(0);
    for (const transport of ['tcp', 'udp'] as const) {
      const d = track(
        new Dc09Dialler({ host: '127.0.0.1', port: r.port, transport, account: '1234', attempts: 1 }),
      );
      expect((await d.send({ type: 'NULL' })).kind).toBe('ACK');
    }
    expect(outcomes.map((o) => o.remote.split(':')[0])).toEqual(['tcp', 'udp']);
  });

  it('answers 200 messages on one persistent TCP connection, in order, each after its handle resolved', async () => {
    const seen: string[] = [];
    const { r } = await startReceiver(async (m) => {
      await new Promise((res) => setTimeout(res, Math.random() * 3));
      seen.push(m.seq);
      return 'ack';
    });
    track(r);
    const d = track(new Dc09Dialler({ host: '127.0.0.1', port: r.port, account: '1234', line: '1' }));
    for (let i = 1; i <= 200; i++) {
      const reply = await d.send({ type: 'SIA-DCS', data: formatSiaData({ account: '1234', code: 'RP' }) });
      const seq = String(i).padStart(4, '0');
      expect(reply).toMatchObject({ kind: 'ACK', seq, attempts: 1 });
      // The ACK for a message comes after its handle resolved.
      expect(seen[seen.length - 1]).toBe(seq);
    }
    expect(r.connections()).toBe(1);
  });

  it('answers over UDP to the sender', async () => {
    const { r, outcomes } = await startReceiver();
    track(r);
    const d = track(
      new Dc09Dialler({
        host: '127.0.0.1',
        port: r.port,
        transport: 'udp',
        account: 'AB12',
        key: keyFromHex(KEY),
      }),
    );
    const reply = await d.send({
      type: 'SIA-DCS',
      data: formatSiaData({ account: 'AB12', code: 'PA', address: '3' }),
    });
    expect(reply).toMatchObject({ kind: 'ACK', encrypted: true, seq: '0001' });
    expect((await d.send({ type: 'NULL' })).seq).toBe('0000');
    expect(outcomes.map((o) => o.outcome)).toEqual(['ack', 'ack']);
  });

  it('a panel with a slow clock is NAKed, sets its clock from the NAK and is ACKed on the repeat', async () => {
    const { r, outcomes } = await startReceiver();
    track(r);
    const d = track(
      new Dc09Dialler({
        host: '127.0.0.1',
        port: r.port,
        account: 'AB12',
        key: keyFromHex(KEY),
        clockErrorMs: -300_000,
      }),
    );
    const reply = await d.send({
      type: 'SIA-DCS',
      data: formatSiaData({ account: 'AB12', code: 'BA', address: '2' }),
    });
    expect(reply).toMatchObject({ kind: 'ACK', seq: '0001', attempts: 2 });
    expect(outcomes.map((o) => `${o.outcome}:${o.reason ?? ''}`)).toEqual(['nak:time_window', 'ack:']);
  });

  it('numbers messages 9998, 9999, 0001, 0002 (C.2.3.7)', async () => {
    const { r } = await startReceiver();
    track(r);
    const d = track(new Dc09Dialler({ host: '127.0.0.1', port: r.port, account: '1234', firstSeq: 9998 }));
    const seqs: string[] = [];
    for (let i = 0; i < 4; i++) seqs.push((await d.send({ type: 'SIA-DCS', data: '#1234|NRP' })).seq);
    expect(seqs).toEqual(['9998', '9999', '0001', '0002']);
  });

  it('gives no answer while the commit fails; the panel repeats and is ACKed once it is stored', async () => {
    let failures = 1;
    const { r, outcomes } = await startReceiver(async () => {
      if (failures-- > 0) throw new Error('store unavailable');
      return 'ack';
    });
    track(r);
    const d = track(new Dc09Dialler({ host: '127.0.0.1', port: r.port, account: '1234', timeoutMs: 300 }));
    const reply = await d.send({ type: 'SIA-DCS', data: '#1234|NPA1' });
    expect(reply).toMatchObject({ kind: 'ACK', attempts: 2 });
    expect(outcomes.map((o) => o.outcome)).toEqual(['failed', 'ack']);
  });

  it('a dialler gets no answer to a bad frame, and times out', async () => {
    const { r, outcomes } = await startReceiver();
    track(r);
    const d = track(new Dc09Dialler({ host: '127.0.0.1', port: r.port, account: '1234', timeoutMs: 200 }));
    const frame = d.frame({ type: 'SIA-DCS', data: '#1234|NPA1' }, '0001');
    frame[20] = (frame[20] as number) ^ 0x20;
    expect(await d.sendRaw(frame, 200)).toBeUndefined();
    expect(outcomes.map((o) => o.outcome)).toEqual(['bad_crc']);
    const silent = new Dc09Dialler({
      host: '127.0.0.1',
      port: r.port,
      account: '7777',
      timeoutMs: 100,
      attempts: 1,
    });
    track(silent);
    // An unknown account is answered (DUH), so the dialler does not time out on it.
    expect((await silent.send({ type: 'NULL' })).kind).toBe('DUH');
    await r.stop();
    await expect(silent.send({ type: 'NULL' })).rejects.toBeInstanceOf(Error);
    await expect(
      new Dc09Dialler({
        host: '127.0.0.1',
        port: r.port,
        account: '1',
        transport: 'udp',
        timeoutMs: 50,
        attempts: 2,
      }).send({ type: 'NULL' }),
    ).rejects.toBeInstanceOf(Dc09DialTimeout);
  });

  it('on stop, a message being committed is still answered before the connection closes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    const { r } = await startReceiver(async () => {
      await gate;
      return 'ack';
    });
    const d = track(new Dc09Dialler({ host: '127.0.0.1', port: r.port, account: '1234', attempts: 1 }));
    const pending = d.send({ type: 'SIA-DCS', data: '#1234|NPA1' });
    await new Promise((res) => setTimeout(res, 50));
    const stopped = r.stop();
    release();
    expect(await pending).toMatchObject({ kind: 'ACK', seq: '0001' });
    await stopped;
  });
});
