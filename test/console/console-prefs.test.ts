import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestService, type TestService } from '../helpers/service.js';

/** `GET/PUT /api/console/prefs`: per-user, merged, validated; bad input changes nothing. */
describe('console preferences API', () => {
  let svc: TestService;
  let alice: string;
  let bob: string;
  const url = () => `${svc.httpUrl}/api/console/prefs`;
  const put = (token: string, body: unknown) =>
    api<{ prefs?: unknown; error?: { code: string; message: string } }>(url(), token, {
      method: 'PUT',
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    svc = await startTestService();
    alice = await svc.login('alice', 'operator', 'north');
    bob = await svc.login('bob', 'supervisor', 'city');
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('starts empty, merges what each PUT names, and null removes a key', async () => {
    expect((await api(url(), alice)).body).toEqual({ prefs: {} });
    expect((await put(alice, { lang: 'en' })).body).toEqual({ prefs: { lang: 'en' } });
    expect((await put(alice, { mutedShift: '2026-11-22-night', queueFilter: 'all' })).body).toEqual({
      prefs: { lang: 'en', mutedShift: '2026-11-22-night', queueFilter: 'all' },
    });
    expect((await put(alice, { mutedShift: null })).body).toEqual({
      prefs: { lang: 'en', queueFilter: 'all' },
    });
    expect((await api(url(), alice)).body).toEqual({ prefs: { lang: 'en', queueFilter: 'all' } });
  });

  it('keeps each user apart', async () => {
    await put(bob, { mapColour: 'rating' });
    expect((await api(url(), bob)).body).toEqual({ prefs: { mapColour: 'rating' } });
    expect((await api(url(), alice)).body).toEqual({ prefs: { lang: 'en', queueFilter: 'all' } });
  });

  it.each([
    ['an unknown key', { theme: 'light' }, 'theme'],
    ['an unknown language', { lang: 'fr' }, 'body.lang'],
    ['a malformed shift', { mutedShift: 'tonight' }, 'body.mutedShift'],
    ['a wrong type', { queueFilter: 3 }, 'body.queueFilter'],
  ])('refuses %s with a 400 naming the field, and changes nothing', async (_what, body, field) => {
    const before = (await api(url(), alice)).body;
    const res = await put(alice, body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('bad_request');
    expect(res.body.error?.message).toContain(field);
    expect((await api(url(), alice)).body).toEqual(before);
  });

  it('needs a session', async () => {
    expect((await api(url(), undefined)).status).toBe(401);
    expect((await put('not-a-token', { lang: 'en' })).status).toBe(401);
  });
});
