import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { simulatePanelVerb } from '../../src/cli/simulate-panel.js';
import { counterValue, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

describe('sharpeyes simulate panel', () => {
  let svc: TestService;
  let configFile: string;
  let out: string[];
  beforeAll(async () => {
    svc = await startTestService();
    configFile = join(svc.dataDir, 'city.yaml');
    writeFileSync(configFile, TEST_CITY_YAML);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await svc?.close();
  });
  const run = (args: string[]) => {
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    return simulatePanelVerb.run([
      ...args,
      '--config',
      configFile,
      '--data-dir',
      svc.dataDir,
      '--url',
      svc.mqttUrl,
    ]);
  };
  const lines = () =>
    out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('--panic raises a panic, waits for the received ack and exits 0', async () => {
    expect(await run(['--id', 'panel-1', '--secret', 'secret-panel-1', '--panic', '--zone', '2'])).toBe(0);
    const ack = lines().find((l) => l['ack'])?.['ack'] as { state: string; incident: string };
    expect(ack.state).toBe('received');
    const inc = await svc.svc.need('store').incidents.get(ack.incident);
    expect(inc).toMatchObject({ site: 'shop-1', priority: 1 });
    expect(inc?.events.map((e) => e.type)).toEqual(['panic']);
  });

  it('--event TYPE --rate N --count N sends that many events; the secret comes from the config', async () => {
    expect(await run(['--id', 'panel-2', '--event', 'test', '--rate', '50', '--count', '5'])).toBe(0);
    expect(lines().filter((l) => l['sent'])).toHaveLength(5);
    expect(lines().filter((l) => l['ack'])).toHaveLength(5);
  });

  it('--panic as a panel that is running (the README with the demo city) raises no communication loss', async () => {
    const troubles = () => counterValue(svc.httpUrl, 'sharpeyes_panel_supervision_total{type="trouble"}');
    const running = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await running.connect();
    try {
      const before = await troubles();
      expect(await run(['--id', 'panel-2', '--panic'])).toBe(0);
      const ack = lines().find((l) => l['ack'])?.['ack'] as { state: string } | undefined;
      expect(ack?.state).toBe('received');
      // The running panel was put off its session and comes back within a second or so.
      await new Promise((r) => setTimeout(r, 2500));
      expect(await troubles()).toBe(before);
      expect(await svc.svc.need('store').incidents.findOpen('bank-2', 'maintenance')).toBeUndefined();
    } finally {
      await running.detach();
    }
  });

  it.each([
    [['--secret', 'x'], /--id is required/],
    [['--id', 'panel-1', '--event', 'earthquake'], /--event must be one of/],
    [['--id', 'panel-1', '--rate=-3'], /--rate must be a positive number/],
    [['--id', 'panel-7'], /--secret is required/],
  ])('%j fails with a clear message', async (args, message) => {
    await expect(run(args)).rejects.toThrow(message);
  });
});
