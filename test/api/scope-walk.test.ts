import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from '../core/core-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { API_CITY_YAML } from './api-fixture.js';
import { enumerateRoutes, type LayerLike, type RouteInfo } from './route-walk.js';

/** Not resources of a jurisdiction: login, the caller's own session, health and metrics. */
const UNSCOPED = new Set(['/api/auth/login', '/api/auth/logout', '/api/me', '/api/health', '/metrics']);

describe('scope: a desk of another station gets 403/404 on every route for what is not theirs', () => {
  let svc: TestService;
  let incident: string;
  let routes: RouteInfo[];
  const foreign: Record<string, string> = {};

  beforeAll(async () => {
    svc = await startTestService({ yaml: API_CITY_YAML });
    const out = await svc.svc
      .need('core')
      .ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }));
    incident = out.incident!;
    Object.assign(foreign, {
      incidents: incident,
      sites: 'shop-1',
      cameras: 'cam-shop',
      panels: 'panel-1',
      units: 'north-car-1',
      jurisdictions: 'north',
      tree: 'north',
    });
    const app = svc.svc.need('app') as unknown as { router: { stack: LayerLike[] } };
    routes = enumerateRoutes(app.router.stack).filter((r) => !UNSCOPED.has(r.path));
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** Fills each `:param` with the north resource the path names (the segment before it). */
  function fill(path: string): string {
    const segs = path.split('/');
    return segs
      .map((s, i) => {
        if (!s.startsWith(':')) return s;
        const name = s.slice(1).replace(/\?$/, '').toLowerCase();
        const before = segs[i - 1] ?? '';
        if (name.includes('camera')) return foreign['cameras'];
        if (name.includes('site')) return foreign['sites'];
        if (name.includes('panel')) return foreign['panels'];
        if (name.includes('incident')) return foreign['incidents'];
        if (name.includes('unit')) return foreign['units'];
        return foreign[before] ?? 'no-such-thing';
      })
      .join('/');
  }

  const FOREIGN_BODY = {
    note: 'scope walk',
    text: 'scope walk',
    unit: 'north-car-1',
    camera: 'cam-shop',
    cameras: ['cam-shop'],
    site: 'shop-1',
    incident: 'placeholder',
    from: new Date(Date.now() - 60_000).toISOString(),
    to: new Date().toISOString(),
    reason: 'scope walk',
    command: 'test',
    preset: 1,
  };

  it('finds the routes of issue 4 among those it walks', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/incidents/:id',
        'POST /api/incidents/:id/dispatch',
        'POST /api/incidents/:id/on-scene',
        'POST /api/incidents/:id/notes',
        'POST /api/incidents/:id/ack',
        'POST /api/incidents/:id/resolve',
        'POST /api/incidents/:id/false-alarm',
        'GET /api/sites/:id',
        'GET /api/units',
        'GET /api/tree',
        'GET /api/reports/response-times',
        'GET /api/audit',
      ]),
    );
  });

  it.each([
    { role: 'operator', scope: 'south' },
    { role: 'supervisor', scope: 'south' },
    { role: 'admin', scope: 'south' },
    { role: 'investigator', scope: 'south' },
    { role: 'site', scope: 'bank-2' },
  ])('$role at $scope', async ({ role, scope }) => {
    const token = await svc.login(`walk-${role}`, role, scope);
    const leaks = ['shop-1', 'cam-shop', 'panel-1', 'north-car-1', 'north-grid-1', incident];
    const problems: string[] = [];
    for (const r of routes) {
      const hasParam = r.path.includes(':');
      const path = fill(r.path);
      const query = hasParam
        ? ''
        : '?site=shop-1&camera=cam-shop&cameras=cam-shop&panel=panel-1&unit=north-car-1&jurisdiction=north&incident=' +
          incident;
      const body =
        r.method === 'GET' || r.method === 'HEAD' ? undefined : JSON.stringify({ ...FOREIGN_BODY, incident });
      const res = await fetch(`${svc.httpUrl}${path}${query}`, {
        method: r.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      const text = await res.text();
      const what = `${r.method} ${r.path} → ${res.status}`;
      if (hasParam) {
        if (res.status !== 403 && res.status !== 404) problems.push(`${what} (expected 403/404)`);
      } else if (res.status >= 200 && res.status < 300) {
        const leaked = leaks.filter((l) => text.includes(l));
        if (leaked.length > 0) problems.push(`${what} leaks ${leaked.join(', ')}`);
      } else if (![400, 403, 404].includes(res.status)) {
        problems.push(`${what} (expected 2xx without foreign data, or 400/403/404)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the same walk with the covering desk reaches the resources (the walk can fail)', async () => {
    const token = await svc.login('walk-north', 'operator', 'north');
    for (const p of ['/api/incidents/:id', '/api/sites/:id']) {
      expect((await api(`${svc.httpUrl}${fill(p)}`, token)).status).toBe(200);
    }
    const list = await api<{ incidents: { id: string }[] }>(`${svc.httpUrl}/api/incidents`, token);
    expect(list.body.incidents.map((i) => i.id)).toContain(incident);
  });
});
