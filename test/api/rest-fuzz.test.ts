import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.js';
import { ev } from '../core/core-fixture.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';
import { BAD_BODIES, BAD_PARAMS, BAD_QUERIES, type BadBody, pick, rng } from './fuzz-payloads.js';
import { enumerateRoutes, type LayerLike, type RouteInfo } from './route-walk.js';

/** Issue 15: a fixed number of fuzzed requests with a valid token, 600 over every route, plus the login. */
const COUNT = 600;
const LOGIN_COUNT = 60;
/** Logging out would end the fuzzer's own session; it is fuzzed through the login cases instead. */
const SKIP = new Set(['POST /api/auth/logout']);

interface Sent {
  what: string;
  status: number;
  code?: string;
}

/** One raw request (node:http: the path goes out exactly as written, %ZZ and all). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  // Node frames a DELETE body only with an explicit Content-Length (no chunking by default for it).
  const all = body ? { ...headers, 'content-length': String(body.length) } : headers;
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: all }, (res) => {
      res.on('error', reject);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

/**
 * Every table but the audit log (which records refusals), `rating_months` (the running month's
 * ratings, recomputed by the ratings maintainer on its own clock and cached there) and
 * `system_minutes` (系统状态's history, a row each minute): derived data that no request writes, as
 * a digest: "nothing stored" is exact.
 */
function digest(svc: TestService): Record<string, string> {
  const db = svc.svc.need('store').db;
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  )
    .map((t) => t.name)
    .filter((n) => n !== 'audit_log' && n !== 'rating_months' && n !== 'system_minutes');
  const out: Record<string, string> = {};
  // Rows in a fixed order without a rowid (the tables keyed without one have none).
  for (const t of tables)
    out[t] = createHash('sha256')
      .update(
        JSON.stringify(
          db
            .prepare(`SELECT * FROM "${t}"`)
            .all()
            .map((r) => JSON.stringify(r))
            .sort(),
        ),
      )
      .digest('hex');
  return out;
}

async function errorCount(svc: TestService): Promise<number> {
  const m = await svc.svc.metrics.registry.getSingleMetric('sharpeyes_http_errors_total')?.get();
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('REST fuzz: every bad input is a counted 4xx that changes nothing', () => {
  let svc: TestService;
  let token: string;
  let routes: RouteInfo[];
  const ids: Record<string, string> = {};
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML, log: pino({ level: 'debug' }, sink) });
    const out = await svc.svc
      .need('core')
      .ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }));
    token = await svc.login('fuzz-admin', 'admin', 'city');
    Object.assign(ids, {
      incident: out.incident!,
      camera: 'cam-shop',
      site: 'shop-1',
      panel: 'panel-1',
      unit: 'north-car-1',
      username: 'fuzz-admin',
    });
    const app = svc.svc.need('app') as unknown as { router: { stack: LayerLike[] } };
    routes = enumerateRoutes(app.router.stack).filter(
      (r) => !SKIP.has(`${r.method} ${r.path}`) && r.path !== '/api/auth/login',
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** `:param`s filled with the real resource (so the body is what is refused) or with garbage. */
  function fill(path: string, garbage: string | undefined): string {
    return path
      .split('/')
      .map((s) => {
        if (!s.startsWith(':')) return s;
        if (garbage !== undefined) return garbage;
        const name = s.slice(1).toLowerCase();
        const key = Object.keys(ids).find((k) => name.includes(k)) ?? (name === 'id' ? 'incident' : '');
        return ids[key] ?? 'no-such-thing';
      })
      .join('/');
  }

  it(`${COUNT} fuzzed requests on every route: no 5xx, each error counted, nothing stored, no stack trace`, async () => {
    const r = rng(15);
    // The outbox sinks store their cursors on a timer: let them settle so only the fuzz could move them.
    const dispatcher = svc.svc.part<OutboxDispatcher>('outbox.dispatcher');
    await dispatcher.idle();
    const before = digest(svc);
    const errorsBefore = await errorCount(svc);
    const results: Sent[] = [];
    const parsed = BAD_BODIES.filter((b) => !b.bypassesParser);
    for (let i = 0; i < COUNT; i++) {
      const route = routes[i % routes.length]!;
      const hasParams = route.path.includes(':');
      const read = route.method === 'GET' || route.method === 'HEAD';
      // A real id with a garbage body (the body is what must be refused), else a garbage id.
      const realIds = hasParams && !read && i % 2 === 1;
      const param = hasParams && !realIds ? pick(r, BAD_PARAMS) : undefined;
      let path = fill(route.path, param);
      let body: BadBody | undefined;
      if (!read) body = pick(r, realIds || !hasParams ? parsed : BAD_BODIES);
      // Without a bad path or body, the query is what is bad.
      if (read && !hasParams) path += pick(r, BAD_QUERIES);
      else if (r() < 0.3) path += pick(r, BAD_QUERIES);
      const res = await send(
        svc.httpUrl,
        route.method,
        path,
        { authorization: `Bearer ${token}`, ...(body?.headers ?? {}) },
        body?.body,
      );
      if (process.env['FUZZ_TRACE'])
        process.stderr.write(
          `${i} ${res.status} ${route.method} ${path.slice(0, 120)} ${body?.what ?? ''}\n`,
        );
      let code: string | undefined;
      try {
        code = (JSON.parse(res.text) as { error?: { code?: string } }).error?.code;
      } catch {
        code = undefined;
      }
      results.push({
        what: `${route.method} ${path.slice(0, 90)} ${body?.what ?? ''}`,
        status: res.status,
        ...(code ? { code } : {}),
      });
    }
    const fives = results.filter((x) => x.status >= 500 || x.status === 0);
    expect(fives).toEqual([]);
    // Every error answer is JSON {error: {code, message}} and was counted.
    const errors = results.filter((x) => x.status >= 400);
    expect(errors.filter((x) => !x.code)).toEqual([]);
    expect((await errorCount(svc)) - errorsBefore).toBe(errors.length);
    await dispatcher.idle();
    expect(digest(svc)).toEqual(before);
    const faults = logLines.filter((l) => String(l['msg']).startsWith('api:') && Number(l['level']) >= 40);
    expect(faults).toEqual([]);
    // The fuzz reached the body parser and the decoder, not only the 404s.
    const codes = new Set(results.map((x) => x.code));
    for (const c of [
      'bad_json',
      'body_too_large',
      'unsupported_charset',
      'bad_encoding',
      'unsupported_encoding',
      'bad_url_encoding',
      'bad_request',
      'not_found',
    ])
      expect(codes, c).toContain(c);
  }, 240_000);

  it.each([
    ['%ZZ in :id', 'GET', '/api/incidents/%ZZ', {}, undefined, 400, 'bad_url_encoding'],
    [
      'charset=latin1',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json; charset=latin1' },
      '{"username":"a","password":"b"}',
      415,
      'unsupported_charset',
    ],
    // UTF-7 and UTF-16 are charsets body-parser would decode: JSON is UTF-8 only.
    [
      'charset=utf-7 on a body that would be valid',
      'PUT',
      '/api/console/prefs',
      { 'content-type': 'application/json; charset=utf-7' },
      '{}',
      415,
      'unsupported_charset',
    ],
    [
      'charset="UTF-16LE"',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json; charset="UTF-16LE"' },
      Buffer.from('{"username":"a","password":"b"}', 'utf16le'),
      415,
      'unsupported_charset',
    ],
    [
      'gzip over a plain body',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      '{"username":"a"}',
      400,
      'bad_encoding',
    ],
    [
      'br over a plain body',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json', 'content-encoding': 'br' },
      '{"username":"a"}',
      400,
      'bad_encoding',
    ],
    [
      'a JSON body over 256 KiB',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json' },
      `{"username":"${'a'.repeat(300_000)}"}`,
      413,
      'body_too_large',
    ],
    [
      'broken JSON',
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json' },
      '{"username":',
      400,
      'bad_json',
    ],
  ])(
    'the unauthenticated login and the API answer %s with a clear 4xx',
    async (_what, method, path, headers, body, status, code) => {
      const res = await send(
        svc.httpUrl,
        method,
        path,
        { authorization: `Bearer ${token}`, ...headers },
        body ? Buffer.from(body) : undefined,
      );
      expect(res.status).toBe(status);
      const err = (JSON.parse(res.text) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe(code);
      expect(err.message).not.toMatch(/at .*\.js:\d+|Error:|stack/i);
      expect(err.message.length).toBeGreaterThan(10);
    },
  );

  it(`${LOGIN_COUNT} fuzzed logins: all refused (4xx), no session made`, async () => {
    const r = rng(110);
    const sessions = () =>
      (svc.svc.need('store').db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    const n = sessions();
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_COUNT; i++) {
      const b =
        i % 3 === 0
          ? {
              what: 'bad credentials',
              headers: { 'content-type': 'application/json' },
              body: Buffer.from(JSON.stringify({ username: `u${i}`, password: 'x'.repeat(i + 1) })),
            }
          : pick(r, BAD_BODIES);
      statuses.push((await send(svc.httpUrl, 'POST', '/api/auth/login', b.headers, b.body)).status);
    }
    expect(statuses.filter((s) => s < 400 || s >= 500)).toEqual([]);
    expect(sessions()).toBe(n);
  });
});
