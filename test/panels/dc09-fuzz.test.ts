import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../drivers/sia-dc09/frame.js';
import {
  independentFrames,
  MUTATIONS,
  type Mutation,
  prng,
  seedFrames,
} from '../drivers/sia-dc09/fuzz-helpers.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { dc09CityYaml, dc09Port, dialler, metric } from './dc09-fixture.js';

const PER_TRANSPORT = 1500;

/**
 * Mutated frames thrown at the running service over TCP (one persistent connection) and UDP: the
 * service stays up, answers the next good message on the same connection, and stores nothing.
 */
describe('fuzz: damaged frames against the running service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ yaml: dc09CityYaml() });
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** Damaged frames none of which the independent CRC check accepts. */
  function damaged(seed: number, n: number): Buffer[] {
    const r = prng(seed);
    // Seeds for the accounts of this city (1234 on line 1); the published ones name other accounts.
    const seeds = seedFrames().slice(0, 4);
    const names = Object.keys(MUTATIONS);
    const out: Buffer[] = [];
    while (out.length < n) {
      const m = MUTATIONS[names[Math.floor(r() * names.length)] as string] as Mutation;
      const bytes = m(seeds[Math.floor(r() * seeds.length)] as Buffer, r);
      if (independentFrames(bytes) === 0) out.push(bytes);
    }
    return out;
  }

  it(`${PER_TRANSPORT} over one TCP connection and ${PER_TRANSPORT} UDP datagrams: no answer, no event, still serving`, async () => {
    const port = dc09Port(svc);
    const answers: Buffer[] = [];
    const tcp = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    tcp.on('data', (b: Buffer) => answers.push(b));
    for (const bytes of damaged(0xfa11, PER_TRANSPORT)) tcp.write(bytes);

    const udp = createSocket('udp4');
    udp.on('message', (b) => answers.push(b));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    for (const bytes of damaged(0xbad, PER_TRANSPORT)) {
      await new Promise<void>((r) => udp.send(bytes, port, '127.0.0.1', () => r()));
    }

    // A good NULL on the same TCP connection, after the garbage: the splitter resyncs and answers.
    const good = dialler(svc, 'panel-1').frame({ type: 'NULL' }, '0000');
    const before = answers.length;
    tcp.write(Buffer.concat([Buffer.from('\r\n'), good]));
    await expect
      .poll(
        () =>
          answers
            .slice(before)
            .map((b) => b.toString('latin1'))
            .join(''),
        { timeout: 10_000 },
      )
      .toContain('"ACK"0000L1#1234[]');
    // Nothing but that one ACK came back for 3,000 damaged frames.
    expect(Buffer.concat(answers).toString('latin1')).toBe(
      encodeFrame(Buffer.from('"ACK"0000L1#1234[]')).toString('latin1'),
    );
    tcp.destroy();
    udp.close();

    const events = svc.svc
      .need('store')
      .db.prepare("SELECT COUNT(*) AS n FROM events WHERE source = 'sia'")
      .get() as { n: number };
    expect(events.n).toBe(0);
    const dropped =
      (await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'bad_crc' })) +
      (await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'bad_length' })) +
      (await metric(svc, 'sharpeyes_dc09_messages_total', { outcome: 'bad_frame' }));
    expect(dropped).toBeGreaterThan(PER_TRANSPORT);
    const health = await fetch(`${svc.httpUrl}/api/health`);
    expect(health.status).toBe(200);
  }, 60_000);
});
