import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

interface Target {
  node: string;
  name: string;
  receivedAt: string | null;
  receivedBy: string | null;
  receiptSeconds: number | null;
}
interface NoticeView {
  id: string;
  sentBy: string;
  from: { id: string; name: string };
  text: string;
  targets: Target[];
  people: Record<string, string>;
  photo?: unknown;
}

/**
 * The receipts of the notices a node sent (GET /api/notices/sent): every target, confirmed or not,
 * when and by whom, for the sender's node and the nodes above it only; a station reads only its own.
 */
describe('notice receipts for the sender (GET /api/notices/sent, GET /api/notices/:id)', () => {
  let svc: TestService;
  let citySup: string;
  let northSup: string;
  let northDesk: string;
  let southSup: string;
  let gridDesk: string;
  let cityNotice: string;
  let northNotice: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const get = <T>(p: string, token: string) => api<T>(url(p), token);
  const post = <T>(p: string, token: string, body: unknown = {}) =>
    api<T>(url(p), token, { method: 'POST', body: JSON.stringify(body) });

  /** A user made as `sharpeyes user add --name` or the users page makes one, then logged in. */
  const person = (username: string, role: string, scope: string, displayName?: string) =>
    svc.login(username, role, scope, displayName);

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    citySup = await person('sup-city', 'supervisor', 'city', '市中心 钱督察');
    northSup = await person('sup-north', 'supervisor', 'north', '北城 孙所长');
    northDesk = await person('038512', 'operator', 'north', '北城值班 王磊');
    southSup = await person('sup-south', 'supervisor', 'south');
    gridDesk = await person('grid-op', 'operator', 'north-grid-1');
    const sent = await post<{ id: string }>('/api/notices', citySup, {
      to: ['north', 'south', 'north-grid-1'],
      text: '今晚 22:00 起北城街临时管制',
      photo: 'data:image/png;base64,iVBORw0KGgo=',
    });
    expect(sent.status).toBe(201);
    cityNotice = sent.body.id;
    const own = await post<{ id: string }>('/api/notices', northSup, {
      to: ['north-grid-1'],
      text: '网格巡查',
    });
    expect(own.status).toBe(201);
    northNotice = own.body.id;
    expect((await post(`/api/notices/${cityNotice}/receipt`, northDesk)).status).toBe(200);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('lists the city’s sent notices, newest first, with every target’s receipt and the confirming person by name', async () => {
    const res = await get<{ notices: NoticeView[] }>('/api/notices/sent', citySup);
    expect(res.status).toBe(200);
    expect(res.body.notices.map((n) => n.id)).toEqual([northNotice, cityNotice]);
    const n = res.body.notices[1]!;
    expect(n.targets.map((t) => [t.node, t.name, t.receivedBy, t.receivedAt !== null])).toEqual([
      ['north', 'North station', '038512', true],
      ['north-grid-1', 'North grid 1', null, false],
      ['south', 'South station', null, false],
    ]);
    expect(n.targets[0]!.receiptSeconds).toBeGreaterThanOrEqual(0);
    expect(n.people).toEqual({ '038512': '北城值班 王磊', 'sup-city': '市中心 钱督察' });
    // A list of notices does not carry each one's photo (up to 200 KB); GET /api/notices/:id does.
    expect(n.photo).toBeUndefined();
    expect((await get<NoticeView>(`/api/notices/${cityNotice}`, citySup)).body.photo).toMatch(/^data:image/);
  });

  it('a station lists what it sent, not what it was sent; a station beside it lists nothing of either', async () => {
    const north = await get<{ notices: NoticeView[] }>('/api/notices/sent', northSup);
    expect(north.body.notices.map((n) => n.id)).toEqual([northNotice]);
    const south = await get<{ notices: NoticeView[] }>('/api/notices/sent', southSup);
    expect(south.body.notices).toEqual([]);
  });

  it('a station reads another station’s notice as not there (404), and the centre’s notice with its own receipt only', async () => {
    const other = await get<{ error: { code: string } }>(`/api/notices/${northNotice}`, southSup);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
    const own = await get<NoticeView>(`/api/notices/${cityNotice}`, southSup);
    expect(own.body.targets.map((t) => t.node)).toEqual(['south']);
    // The centre's supervisor's login is not told to the stations below: they read the sending node.
    expect(own.body.sentBy).toBe('City 110');
    expect(JSON.stringify(own.body)).not.toContain('sup-city');
    // The grid desk, below north, reads north's receipt of nothing: its own target only, no north login.
    const grid = await get<NoticeView>(`/api/notices/${cityNotice}`, gridDesk);
    expect(grid.body.targets.map((t) => t.node)).toEqual(['north-grid-1']);
    expect(JSON.stringify(grid.body)).not.toContain('038512');
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['since=1', 'query'],
  ])('refuses ?%s with 400 naming %s', async (query, field) => {
    const res = await get<{ error: { code: string; details?: { field: string }[] } }>(
      `/api/notices/sent?${query}`,
      citySup,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.details?.[0]?.field ?? '').toContain(field.replace(/^query\.?/, ''));
  });

  it('is refused to those who send and confirm no notices (403)', async () => {
    const investigator = await person('inv-city', 'investigator', 'city');
    expect((await get('/api/notices/sent', investigator)).status).toBe(403);
    expect((await get('/api/notices/sent', '')).status).toBe(401);
  });
});
