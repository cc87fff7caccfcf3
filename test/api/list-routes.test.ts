import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { districtYaml, homeOwner, seedUsers } from '../helpers/district.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { enumerateRoutes, type LayerLike } from './route-walk.js';

const HOMES = 1_000;

/** The longest list (an array anywhere in the first two levels) of a JSON body. */
function longestList(body: unknown): number {
  if (Array.isArray(body)) return Math.max(body.length, ...body.slice(0, 50).map(longestList), 0);
  if (body && typeof body === 'object')
    return Math.max(0, ...Object.values(body).map((v) => (Array.isArray(v) ? v.length : 0)));
  return 0;
}

/**
 * Every list the desks read, in a district of a thousand homes with an alarm phone each: none is
 * built and encoded in one `res.json`, which holds the alarm thread for the whole list (a panic
 * arriving then waits behind it: bench/site-list.ts). Lists go out a slice at a time (sendSliced).
 */
describe('the desks’ lists in a district of a thousand homes', () => {
  let svc: TestService;
  const sent: { path: string; items: number }[] = [];
  const json = express.response.json;

  beforeAll(async () => {
    const city = readFileSync(
      join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
      'utf8',
    );
    // Each home's alarm phone, with the zone its owner named.
    svc = await startTestService({ yaml: districtYaml(city, HOMES, { phones: true }) });
    // Each home's owner has an account: the users page without a limit lists them all.
    await seedUsers(
      svc,
      Array.from({ length: HOMES }, (_, i) => homeOwner(i + 1)),
    );
    // Every body the service's routes hand to res.json, by path: the service's app shares this module.
    express.response.json = function (this: express.Response, body: unknown) {
      sent.push({ path: this.req.path, items: longestList(body) });
      return json.call(this, body);
    };
  }, 60_000);
  afterAll(async () => {
    express.response.json = json;
    await svc?.close();
  });

  it('sends no list of every home, panel, rating or owner in one res.json, on any GET route a supervisor or admin reads', async () => {
    const app = svc.svc.need('app') as unknown as { router: { stack: LayerLike[] } };
    const routes = enumerateRoutes(app.router.stack).filter(
      (r) => r.method === 'GET' && !r.path.includes(':'),
    );
    const tokens = [
      await svc.login('sup-district', 'supervisor', 'city'),
      await svc.login('admin-district', 'admin', 'city'),
    ];
    const read: string[] = [];
    for (const r of routes)
      for (const token of tokens) {
        const res = await fetch(`${svc.httpUrl}${r.path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        if (res.ok && text.includes('home-0777')) read.push(r.path);
      }
    // The walk reached the district's lists (it can fail)…
    expect(new Set(read)).toEqual(
      new Set(['/api/sites', '/api/panels', '/api/reports/ratings', '/api/users']),
    );
    // …and none of them, nor anything else, went out as one body of a thousand items.
    expect(sent.filter((s) => s.items > 200)).toEqual([]);
  });
});
