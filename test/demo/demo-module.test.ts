import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { type RunningService, startService } from '../../src/main.js';
import type { PanelView } from '../../src/panels/panel-routes.js';
import { api, passwordLogin, testConfig } from '../helpers/service.js';

const DEMO_YAML = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'demo.yaml'), 'utf8');

interface SiteArming {
  id: string;
  armed: { armed: boolean; mode: string } | null;
}

/**
 * The demo city's simulated panels report their arming state when they connect, over the panel
 * protocol (an `arm` event with its Contact ID), so the shop owner's page (本单位) says armed instead
 * of "布防状态未知（主机尚未上报）" forever.
 */
describe('the demo city’s simulated panels', () => {
  let running: RunningService;
  let httpUrl: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-demo-'));
    const config = testConfig(DEMO_YAML, dataDir);
    config.http.port = 0;
    config.mqtt.embedded!.port = 0;
    // Panels only: the demo's cameras are GStreamer servers, tested in test/cameras/demo-cameras.test.ts.
    config.cameras = [];
    for (const p of config.panels) for (const z of Object.values(p.zones)) z.cameras = [];
    running = await startService({ config, log: silentLogger, demo: true });
    httpUrl = running.svc.url!;
  });
  afterAll(async () => {
    await running?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const login = async (username: string, password: string): Promise<string> => {
    const { status, token } = await passwordLogin(httpUrl, username, password);
    expect(status).toBe(200);
    return token!;
  };

  it('the jewellery shop’s owner reads their site armed (away) as soon as the demo has started', async () => {
    const token = await login('shop', 'sharpeyes-demo');
    const site = await api<SiteArming>(`${httpUrl}/api/sites/site-jewellery`, token);
    expect(site.status).toBe(200);
    expect(site.body.armed).toMatchObject({ armed: true, mode: 'away' });
    const panels = await api<{ panels: PanelView[] }>(`${httpUrl}/api/panels`, token);
    expect(panels.body.panels.map((p) => [p.id, p.armed])).toEqual([['panel-jewellery', 'away']]);
  });

  it('every demo site reports a state: the household armed stay (home), the others armed away', async () => {
    const token = await login('operator', 'sharpeyes-demo');
    const { body } = await api<{ sites: SiteArming[] }>(`${httpUrl}/api/sites`, token);
    const arming = Object.fromEntries(
      body.sites.map((s) => [s.id, s.armed && [s.armed.armed, s.armed.mode]]),
    );
    expect(arming).toEqual({
      'site-jewellery': [true, 'away'],
      'site-bank-north': [true, 'away'],
      'site-school-1': [true, 'away'],
      'site-pharmacy': [true, 'away'],
      'site-household-12': [true, 'home'],
      'site-supermarket': [true, 'away'],
      'site-bank-jingping': [true, 'away'],
      'site-school-jp': [true, 'away'],
    });
  });
});
