import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { simulatePanelVerb } from '../../src/cli/simulate-panel.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { dc09CityYaml, dc09Port } from '../panels/dc09-fixture.js';

describe('sharpeyes simulate panel --dc09', () => {
  let svc: TestService;
  let configFile: string;
  let out: string[];
  beforeAll(async () => {
    svc = await startTestService({ yaml: dc09CityYaml() });
    configFile = join(svc.dataDir, 'city.yaml');
    writeFileSync(configFile, dc09CityYaml());
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await svc?.close();
  });
  const run = (args: string[], transport = 'tcp') => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    return simulatePanelVerb.run([
      '--dc09',
      ...args,
      '--config',
      configFile,
      '--data-dir',
      svc.dataDir,
      '--url',
      `${transport}://127.0.0.1:${dc09Port(svc)}`,
    ]);
  };
  const lines = () =>
    out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const lastEvent = async (site: string) => {
    const row = svc.svc
      .need('store')
      .db.prepare("SELECT key FROM events WHERE source = 'sia' AND site = ? ORDER BY rowid DESC LIMIT 1")
      .get(site) as { key: string };
    return svc.svc.need('store').events.get(row.key);
  };

  it('--panic dials the receiver with the configured account, waits for the ACK and exits 0', async () => {
    expect(await run(['--id', 'panel-1', '--panic', '--zone', '2', '--seq', '1'])).toBe(0);
    expect(lines()).toEqual([
      { sent: 'SIA-DCS', code: 'PA', seq: '0001', reply: 'ACK', ms: expect.any(Number), attempts: 1 },
    ]);
    expect(await lastEvent('shop-1')).toMatchObject({
      type: 'panic',
      zone: '2',
      device: 'panel-1',
      cid: 'E120',
    });
  });

  it('the same panic from a second run a moment later is a second event, not a repeat of the first', async () => {
    const count = () =>
      (
        svc.svc
          .need('store')
          .db.prepare("SELECT COUNT(*) AS n FROM events WHERE source = 'sia' AND site = 'bank-2'")
          .get() as {
          n: number;
        }
      ).n;
    const before = count();
    // Each run starts its sequence at random, as a panel would be somewhere in its count.
    expect(await run(['--id', 'panel-2', '--sia', 'BA', '--zone', '9'])).toBe(0);
    expect(await run(['--id', 'panel-2', '--sia', 'BA', '--zone', '9'])).toBe(0);
    expect(count() - before).toBe(2);
  });

  it('an event SIA has no code for goes as ADM-CID, encrypted with the configured key, over UDP', async () => {
    expect(await run(['--id', 'panel-2', '--event', 'duress', '--zone', '4'], 'udp')).toBe(0);
    expect(lines()[0]).toMatchObject({ sent: 'ADM-CID', code: 'E121', reply: 'ACK' });
    expect(await lastEvent('bank-2')).toMatchObject({
      type: 'duress',
      zone: '4',
      detail: expect.objectContaining({ dc09: expect.objectContaining({ encrypted: true }) }),
    });
  });

  it('--sia and --cid choose the code; --format cid sends Contact ID', async () => {
    expect(await run(['--id', 'panel-1', '--sia', 'BA', '--zone', '1'])).toBe(0);
    expect(lines()[0]).toMatchObject({ sent: 'SIA-DCS', code: 'BA', reply: 'ACK' });
    expect(await run(['--id', 'panel-1', '--cid', 'E110', '--format', 'cid'])).toBe(0);
    expect(lines()[0]).toMatchObject({ sent: 'ADM-CID', code: 'E110', reply: 'ACK' });
    expect(await lastEvent('shop-1')).toMatchObject({ type: 'fire', cid: 'E110' });
  });

  it('--event TYPE --rate N --count N sends that many, each ACKed; the quirky panel is dialled with its quirks', async () => {
    expect(
      await run(['--id', 'panel-3', '--event', 'test', '--rate', '50', '--count', '5', '--seq', '9998']),
    ).toBe(0);
    expect(lines().map((l) => l['reply'])).toEqual(['ACK', 'ACK', 'ACK', 'ACK', 'ACK']);
    expect(lines().map((l) => l['seq'])).toEqual(['9998', '9999', '0001', '0002', '0003']);
  });

  it('with no event it polls NULL until stopped', async () => {
    const running = run(['--id', 'panel-1', '--heartbeat', '1']);
    await expect
      .poll(
        () =>
          out
            .join('')
            .split('\n')
            .filter((l) => l.includes('"reply":"ACK"')).length,
        { timeout: 5000 },
      )
      .toBeGreaterThanOrEqual(2);
    process.emit('SIGINT');
    expect(await running).toBe(0);
    expect(lines().every((l) => l['sent'] === 'NULL' && l['seq'] === '0000')).toBe(true);
  });

  it('an account the receiver does not know exits 1 with the DUH shown', async () => {
    expect(await run(['--id', 'panel-1', '--account', '7777', '--panic'])).toBe(1);
    expect(lines()[0]).toMatchObject({ reply: 'DUH' });
  });

  it.each([
    [['--id', 'panel-x', '--panic'], /--account is required: panel panel-x has no dc09 account/],
    [['--id', 'panel-1', '--format', 'xml', '--panic'], /--format is sia or cid, got "xml"/],
    [['--id', 'panel-1', '--sia', 'pa'], /--sia is a SIA event code of two capital letters/],
    [['--id', 'panel-1', '--zone', 'front', '--panic'], /--zone for --dc09 is a zone number/],
    [['--id', 'panel-1', '--event', 'earthquake'], /--event must be one of/],
    [['--id', 'panel-1', '--panic', '--seq', '10000'], /--seq is the first sequence number, 1 to 9999/],
  ])('%j fails with a clear message', async (args, message) => {
    await expect(run(args)).rejects.toThrow(message);
  });

  it('without --url it finds a receiver on a free port through the running service /api/health', async () => {
    // The config as the running service's: its HTTP port is known, the receiver took a free one.
    const file = join(svc.dataDir, 'running.yaml');
    const httpPort = new URL(svc.httpUrl).port;
    writeFileSync(
      file,
      dc09CityYaml().replace(
        'http: { host: 127.0.0.1, port: 0 }',
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
      ),
    );
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    expect(
      await simulatePanelVerb.run([
        '--dc09',
        '--id',
        'panel-1',
        '--panic',
        '--config',
        file,
        '--data-dir',
        svc.dataDir,
      ]),
    ).toBe(0);
    expect(lines()[0]).toMatchObject({ sent: 'SIA-DCS', code: 'PA', reply: 'ACK' });
  });

  it('without --url and with both ports free to choose it says to give --url', async () => {
    await expect(
      simulatePanelVerb.run([
        '--dc09',
        '--id',
        'panel-1',
        '--panic',
        '--config',
        configFile,
        '--data-dir',
        svc.dataDir,
      ]),
    ).rejects.toThrow(/picks a free port \(dc09.port: 0\) and so does http: give --url/);
  });
});
