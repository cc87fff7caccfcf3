import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { ev } from '../core/core-fixture.js';
import { signedUrl } from '../helpers/media.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';
import { enumerateRoutes, type LayerLike } from './route-walk.js';

type Err = { error: { code: string; message: string } };

/** A raw GET: the path goes out exactly as written (no client normalises `..` away). */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('intruders: every route, socket room and footage URL of another station, bad tokens, path tricks, brute force', () => {
  let svc: TestService;
  let north: string;
  let south: string;
  let incident: string;
  let clip: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const denied = async (target?: string) =>
    await svc.svc.need('audit').list({ action: 'access.denied', ...(target ? { target } : {}) });

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    north = await svc.login('op-north', 'operator', 'north');
    south = await svc.login('op-south', 'operator', 'south');
    incident = (
      await svc.svc.need('core').ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }))
    ).incident!;
    clip = randomUUID();
    svc.svc
      .need('store')
      .db.prepare(
        'INSERT INTO clips (id, incident_id, camera, url, start, end, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        clip,
        incident,
        'cam-shop',
        `/api/clips/${clip}`,
        new Date().toISOString(),
        new Date().toISOString(),
        '0'.repeat(64),
      );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('no API route takes a session token from the query string: 401 token_in_url on every GET route', async () => {
    const app = svc.svc.need('app') as unknown as { router: { stack: LayerLike[] } };
    const open = new Set(['/api/health', '/metrics', '/api/auth/login']);
    // The console's static files (favicon, vendored scripts) are public and read no token at all.
    const gets = enumerateRoutes(app.router.stack).filter(
      (r) => r.method === 'GET' && r.path.startsWith('/api/') && !open.has(r.path),
    );
    expect(gets.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const r of gets) {
      const path = r.path.replace(/:(\w+)/g, (_m, p: string) =>
        p.includes('camera') ? 'cam-shop' : incident,
      );
      const res = await api<Err>(`${url(path)}?token=${north}`, undefined);
      if (res.status !== 401 || res.body.error.code !== 'token_in_url')
        wrong.push(`${r.path} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    ['a made-up token', 'Bearer not-a-token'],
    ['a token of 10 KB', `Bearer ${'x'.repeat(10_000)}`],
    ['a media token in the header', 'Bearer m1.0000.0000000000.AAAA'],
    ['a Basic header', 'Basic b3A6cGFzcw=='],
  ])('%s is a 401 and an audited refusal', async (_what, authorization) => {
    const before = (await denied()).length;
    const res = await api<Err>(url('/api/incidents'), undefined, { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    // One audit row a minute per address and code: the first of these is written, the rest counted.
    expect((await denied()).length).toBeGreaterThanOrEqual(before);
    expect((await denied('route:GET /api/incidents'))[0]).toMatchObject({
      actor: 'anonymous',
      detail: { status: 401 },
    });
  });

  it('a logged-out token is refused everywhere: REST, the /ops socket, and media URLs it signed', async () => {
    const token = await svc.login('leaver', 'operator', 'north');
    const signed = await signedUrl(svc.httpUrl, token, `/api/clips/${clip}`);
    expect((await api(url('/api/auth/logout'), token, { method: 'POST' })).status).toBe(204);
    expect((await api<Err>(url('/api/incidents'), token)).status).toBe(401);
    await expect(opsClient(svc.httpUrl, token)).rejects.toThrow(/unauthenticated/);
    const media = await fetch(signed);
    expect(media.status).toBe(401);
    expect(((await media.json()) as Err).error.code).toBe('session_ended');
    expect(await svc.svc.need('audit').list({ action: 'logout', target: 'user:leaver' })).toHaveLength(1);
  });

  describe('footage URLs of another station', () => {
    const footage = () => [
      `/api/clips/${clip}`,
      `/api/clips/${clip}/snapshot`,
      '/api/cameras/cam-shop/snapshot',
      '/api/live/cam-shop/frame.jpg?stream=sub',
      `/api/recordings/play?camera=cam-shop&from=${new Date(Date.now() - 60_000).toISOString()}&to=${new Date().toISOString()}`,
      `/api/incidents/${incident}/verification/frame`,
    ];

    it('a south operator signing north footage gets a URL that answers 404, and the try is audited', async () => {
      for (const path of footage()) {
        const res = await fetch(await signedUrl(svc.httpUrl, south, path));
        expect([path, res.status]).toEqual([path, 404]);
      }
      expect((await denied('camera:cam-shop')).some((r) => r.actor === 'op-south')).toBe(true);
      expect((await denied(`incident:${incident}`)).some((r) => r.actor === 'op-south')).toBe(true);
    });

    it('a north URL edited to name something else, or replayed as a POST, is refused', async () => {
      const good = await signedUrl(svc.httpUrl, north, '/api/cameras/cam-shop/snapshot');
      for (const [bad, method] of [
        [good.replace('cam-shop', 'cam-bank'), 'GET'],
        [good.replace('/snapshot', ''), 'GET'],
        [good.replace(/token=m1\.[0-9a-f]{4}/, 'token=m1.ffff'), 'GET'],
        [good, 'POST'],
        [good.replace('/api/cameras/cam-shop/snapshot', '/api/incidents'), 'GET'],
      ] as const) {
        const res = await fetch(bad, { method });
        expect([bad.slice(0, 60), method, res.status]).toEqual([bad.slice(0, 60), method, 401]);
      }
    });

    it('a URL to sign must be a media path of this server', async () => {
      for (const u of [
        '/api/incidents',
        '/api/users',
        'https://evil.example/x',
        '//evil.example/live/cam-shop',
      ]) {
        const res = await api<Err>(url('/api/media/sign'), north, {
          method: 'POST',
          body: JSON.stringify({ urls: [u] }),
        });
        expect([u, res.status, res.body.error.code]).toEqual([u, 400, 'not_media']);
      }
      // A media URL cannot sign more media URLs.
      const media = await signedUrl(svc.httpUrl, north, `/api/clips/${clip}`);
      const token = new URL(media).searchParams.get('token')!;
      const res = await fetch(`${url('/api/media/sign')}?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ urls: [`/api/clips/${clip}`] }),
      });
      expect(res.status).toBe(401);
    });
  });

  it('socket rooms: a south desk hears nothing of a north alarm while the north desk does', async () => {
    const n = await opsClient(svc.httpUrl, north);
    const s = await opsClient(svc.httpUrl, south);
    const heardSouth: Incident[] = [];
    s.on('incident:new', (i: Incident) => heardSouth.push(i));
    s.on('incident:update', (i: Incident) => heardSouth.push(i));
    // The fire joins the open panic at shop-1: an incident:update to the north rooms.
    const got = nextEvent<Incident>(n, 'incident:update', (i) => i.id === incident);
    await svc.svc.need('core').ingest(ev('fire', { site: 'shop-1', device: 'panel-1', zone: '2' }));
    expect((await got).site).toBe('shop-1');
    // Give a wrong delivery the time the right one took, and more.
    await new Promise((r) => setTimeout(r, 300));
    expect(heardSouth.filter((i) => i.site === 'shop-1')).toEqual([]);
    n.close();
    s.close();
  });

  it.each([
    '/api/clips/..%2F..%2F..%2Fetc%2Fpasswd',
    '/api/clips/../../../etc/passwd',
    '/api/exports/..%2f..%2fsharpeyes.db/download',
    '/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/live/..%2f..%2fpackage.json',
    '/js/..%2f..%2fpackage.json',
    '/api/incidents/%2e%2e',
  ])('path trick %s serves nothing from outside', async (path) => {
    const res = await rawGet(svc.httpUrl, path, { authorization: `Bearer ${north}` });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/"name":\s*"sharpeyes"|root:x:0:0|SQLite format/);
  });

  it('brute force: the 11th wrong password in a minute is throttled (429, Retry-After), even the right one; audited', async () => {
    await svc.login('target', 'operator', 'north');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(url('/api/auth/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'target', password: `guess-${i}` }),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const right = await fetch(url('/api/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'target', password: 'pw-target-123' }),
    });
    expect(right.status).toBe(429);
    const audit = svc.svc.need('audit');
    expect((await audit.list({ action: 'login.failed', target: 'user:target' }))[0]).toMatchObject({
      actor: 'anonymous',
    });
    expect(await audit.list({ action: 'login.throttled', target: 'user:target' })).toHaveLength(1);
    const metrics = await svc.svc.metrics.registry.getSingleMetricAsString('sharpeyes_auth_logins_total');
    expect(metrics).toMatch(/outcome="bad_credentials"} 1\d/);
  });

  it('the console and API answer with a CSP and the usual security headers', async () => {
    for (const path of ['/', '/api/health', '/live/wall.html']) {
      const res = await fetch(url(path));
      expect(res.headers.get('content-security-policy')).toMatch(
        /default-src 'self'.*script-src 'self'.*frame-ancestors 'none'/,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here; see tls.test.ts
    }
    expect((await fetch(url('/api/health'))).headers.get('cache-control')).toBe('no-store');
  });
});
