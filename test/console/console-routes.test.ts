import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from '../core/core-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

type Note = {
  id: number;
  jurisdiction: string;
  author: string;
  shift: string;
  text: string;
  createdAt: string;
};
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown>[] } };

/**
 * The console's own routes: shift handover notes, event details (the trouble reason), the vendored
 * map library, the favicon and the not-found page. Scoped like everything else; bad input is a 400
 * with details and changes nothing.
 */
describe('console routes', () => {
  let svc: TestService;
  let north: string;
  let south: string;
  let city: string;
  const notesUrl = () => `${svc.httpUrl}/api/console/handover-notes`;
  const post = (token: string, body: unknown) =>
    api<{ note: Note } & ErrorBody>(notesUrl(), token, { method: 'POST', body: JSON.stringify(body) });
  const list = async (token: string) => (await api<{ notes: Note[] }>(notesUrl(), token)).body.notes;

  beforeAll(async () => {
    svc = await startTestService();
    north = await svc.login('op-north', 'operator', 'north');
    south = await svc.login('op-south', 'operator', 'south');
    city = await svc.login('sup-city', 'supervisor', 'city');
  });
  afterAll(async () => {
    await svc?.close();
  });

  describe('handover notes', () => {
    it('keeps each desk’s notes under its node: the desk and those above read them, a sibling does not', async () => {
      const res = await post(north, { text: '  鑫源金店主机断电，明早复查  ', shift: '2026-5-22-night' });
      expect(res.status).toBe(201);
      expect(res.body.note).toMatchObject({
        jurisdiction: 'north',
        author: 'op-north',
        shift: '2026-5-22-night',
        text: '鑫源金店主机断电，明早复查',
      });
      await post(south, { text: '南城一切正常', shift: '2026-5-22-night' });
      expect((await list(north)).map((n) => n.text)).toEqual(['鑫源金店主机断电，明早复查']);
      expect((await list(south)).map((n) => n.text)).toEqual(['南城一切正常']);
      expect((await list(city)).map((n) => n.text)).toEqual(['南城一切正常', '鑫源金店主机断电，明早复查']);
      const audit = await svc.svc.need('audit').list({ action: 'console.handover_note' });
      expect(audit.map((a) => [a.actor, a.target])).toEqual([
        ['op-south', 'jurisdiction:south'],
        ['op-north', 'jurisdiction:north'],
      ]);
    });

    it('reads only notes since the time asked', async () => {
      const future = new Date(Date.now() + 3600_000).toISOString();
      const res = await api<{ notes: Note[] }>(`${notesUrl()}?since=${encodeURIComponent(future)}`, city);
      expect(res.body.notes).toEqual([]);
    });

    it.each([
      [
        'an empty note',
        { text: '   ', shift: '2026-5-22-day' },
        { field: 'text', issue: 'too_small', limit: 1 },
      ],
      [
        'a note over 2000 characters',
        { text: '长'.repeat(2001), shift: '2026-5-22-day' },
        { field: 'text', issue: 'too_big', limit: 2000, origin: 'string' },
      ],
      ['no shift', { text: 'x' }, { field: 'shift', issue: 'invalid_type', received: 'undefined' }],
      ['a malformed shift', { text: 'x', shift: 'tonight' }, { field: 'shift', issue: 'invalid_format' }],
      [
        'an unknown key',
        { text: 'x', shift: '2026-5-22-day', to: 'south' },
        { field: '', issue: 'unrecognized_keys', keys: ['to'] },
      ],
    ])('refuses %s with a 400 the console can translate, and stores nothing', async (_what, body, detail) => {
      const before = await list(city);
      const res = await post(north, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.body.error.details).toEqual([expect.objectContaining({ in: 'body', ...detail })]);
      expect(await list(city)).toEqual(before);
    });

    it.each([
      ['a site user', 'site', 'shop-1', 403, 403],
      ['an investigator (reads, never writes)', 'investigator', 'north', 200, 403],
    ])('%s', async (_who, role, scope, read, write) => {
      const token = await svc.login(`ho-${role}`, role, scope);
      expect((await api(notesUrl(), token)).status).toBe(read);
      expect((await post(token, { text: 'x', shift: '2026-5-22-day' })).status).toBe(write);
    });
  });

  describe('event details', () => {
    it('says what a trouble is (the reason and the code) for events in scope, and nothing about others', async () => {
      const core = svc.svc.need('core');
      const mains = ev('trouble', {
        site: 'shop-1',
        device: 'panel-1',
        cid: 'E301',
        detail: { reason: 'ac_loss', cidDescription: 'AC loss' },
      });
      const bank = ev('trouble', { site: 'bank-2', device: 'panel-2', detail: { reason: 'low_battery' } });
      await core.ingest(mains);
      await core.ingest(bank);
      const url = `${svc.httpUrl}/api/console/event-details`;
      const res = await api<{ events: Record<string, unknown>[] }>(url, north, {
        method: 'POST',
        body: JSON.stringify({ keys: [mains.key, bank.key, 'no-such-key'] }),
      });
      expect(res.status).toBe(200);
      expect(res.body.events).toEqual([
        expect.objectContaining({
          key: mains.key,
          type: 'trouble',
          cid: 'E301',
          reason: 'ac_loss',
          description: 'AC loss',
        }),
      ]);
      const tooMany = await api<ErrorBody>(url, north, {
        method: 'POST',
        body: JSON.stringify({ keys: Array.from({ length: 501 }, (_, i) => `k${i}`) }),
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.details?.[0]).toMatchObject({
        field: 'keys',
        issue: 'too_big',
        origin: 'array',
        limit: 500,
      });
    });
  });

  describe('static parts', () => {
    it.each([
      ['/vendor/leaflet/leaflet.js', 200, 'javascript'],
      ['/vendor/leaflet/leaflet.css', 200, 'text/css'],
      ['/vendor/leaflet.markercluster/leaflet.markercluster.js', 200, 'javascript'],
      ['/vendor/leaflet/images/marker-icon.png', 200, 'image/png'],
      ['/favicon.svg', 200, 'image/svg+xml'],
      ['/vendor/leaflet/no-such.js', 404, ''],
    ])('%s → %i', async (path, status, type) => {
      const res = await fetch(`${svc.httpUrl}${path}`);
      expect(res.status).toBe(status);
      if (type) expect(res.headers.get('content-type')).toContain(type);
    });

    it('sends browsers asking for /favicon.ico to the SVG', async () => {
      const res = await fetch(`${svc.httpUrl}/favicon.ico`, { redirect: 'manual' });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toBe('/favicon.svg');
    });

    it.each([
      ['/no/such/page'],
      ['/js/no-such.js'],
      ['/%2e%2e/package.json'],
      ['/..%2fpackage.json'],
      ['/%E0%A4%A'],
    ])('answers %s with the not-found page (404, a way back), never a file outside web/', async (path) => {
      const res = await fetch(`${svc.httpUrl}${path}`);
      expect(res.status).toBe(404);
      const html = await res.text();
      expect(html).toContain('id="back-home"');
      expect(html).not.toContain('"devDependencies"');
    });

    it('leaves the console itself, the API’s JSON 404 and the wall page alone', async () => {
      expect((await fetch(`${svc.httpUrl}/`)).status).toBe(200);
      expect((await fetch(`${svc.httpUrl}/live/wall.html`)).status).toBe(200);
      const apiMiss = await fetch(`${svc.httpUrl}/api/no-such-route`);
      expect(apiMiss.status).toBe(404);
      expect(((await apiMiss.json()) as ErrorBody).error.code).toBe('not_found');
    });
  });
});
