import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from '../core/core-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { API_CITY_YAML } from './api-fixture.js';
import { enumerateRoutes, type LayerLike, type RouteInfo } from './route-walk.js';

/**
 * A shop owner is never told a police login (README "Who acted, by name"): a desk works the shop's
 * alarm, arms its panel and puts it on test; then the owner reads every GET route of the service with
 * the shop's own resources, and no answer they get names the operator's login.
 */
describe('a site user reads no police login on any route', () => {
  let svc: TestService;
  let routes: RouteInfo[];
  let incident: string;
  const OP = 'op-0385-walk';

  beforeAll(async () => {
    svc = await startTestService({ yaml: API_CITY_YAML });
    const app = svc.svc.need('app') as unknown as { router: { stack: LayerLike[] } };
    routes = enumerateRoutes(app.router.stack).filter((r) => r.method === 'GET');
    const op = await svc.login(OP, 'operator', 'north');
    const send = (path: string, body: unknown = {}, method = 'POST') =>
      api(`${svc.httpUrl}${path}`, op, { method, body: JSON.stringify(body) });
    incident = (
      await svc.svc.need('core').ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }))
    ).incident!;
    for (const [path, body] of [
      [`/api/incidents/${incident}/take`, {}],
      [`/api/incidents/${incident}/ack`, {}],
      [`/api/incidents/${incident}/notes`, { text: '已电话联系店主' }],
      [`/api/incidents/${incident}/dispatch`, { unit: 'north-car-1' }],
      ['/api/panels/panel-1/command', { command: 'arm_away' }],
      ['/api/sites/shop-1/test-mode', { minutes: 30, reason: '维保测试' }],
    ] as const)
      expect((await send(path, body)).status, path).toBeLessThan(300);
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** Fills each `:param` with the shop's own resource the path names. */
  const fill = (path: string) =>
    path
      .split('/')
      .map((s, i, segs) => {
        if (!s.startsWith(':')) return s;
        const name = `${segs[i - 1]} ${s}`.toLowerCase();
        if (name.includes('camera')) return 'cam-shop';
        if (name.includes('site')) return 'shop-1';
        if (name.includes('panel')) return 'panel-1';
        if (name.includes('incident')) return incident;
        return 'no-such-thing';
      })
      .join('/');

  it('walks the routes a shop owner reads (the walk can fail)', async () => {
    const desk = await svc.login('sup-walk', 'supervisor', 'city');
    const seen = await api(`${svc.httpUrl}/api/incidents/${incident}`, desk);
    expect(JSON.stringify(seen.body)).toContain(OP);
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/api/incidents',
        '/api/incidents/:id',
        '/api/sites/:id/test-mode',
        '/api/panels/:id/commands',
      ]),
    );
  });

  it('finds the login in no answer the owner gets', async () => {
    const owner = await svc.login('owner-walk', 'site', 'shop-1');
    const read: string[] = [];
    const leaks: string[] = [];
    for (const r of routes) {
      const path = fill(r.path);
      const res = await fetch(`${svc.httpUrl}${path}${r.path.includes(':') ? '' : '?site=shop-1'}`, {
        headers: { authorization: `Bearer ${owner}` },
      });
      const text = await res.text();
      if (res.ok) read.push(r.path);
      if (text.includes(OP)) leaks.push(`${r.path} → ${res.status}`);
    }
    // The owner did read their incident, their panel's commands and their test modes.
    expect(read).toEqual(
      expect.arrayContaining(['/api/incidents/:id', '/api/panels/:id/commands', '/api/sites/:id/test-mode']),
    );
    expect(leaks).toEqual([]);
  });
});
