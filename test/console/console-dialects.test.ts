import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

afterAll(() => stopSharedPostgres(), 60_000);

/** What each page of the console saves, one key each (a user with the console open in five tabs). */
const PAGES = [
  { lang: 'en' },
  { mutedShift: '2026-11-22-night' },
  { queueFilter: 'maintenance' },
  { mapColour: 'rating' },
  { mapLayers: 'incidents,units' },
];

/**
 * The console's own writes from several pages (or nodes) at the same instant, on SQLite and on
 * PostgreSQL (several nodes share one database).
 */
describe.each(SERVICE_BACKENDS)('console at the same instant on %s', (_name, storage) => {
  let svc: TestService;

  beforeEach(async () => {
    svc = await startTestService({ yaml: `${API_CITY_YAML}${await storage()}` });
  }, 120_000);
  afterEach(async () => svc?.close());

  it('five pages saving different preferences at the same instant keep all five', async () => {
    const alice = await svc.login('alice', 'operator', 'north');
    const url = `${svc.httpUrl}/api/console/prefs`;
    const put = (body: unknown) => api(url, alice, { method: 'PUT', body: JSON.stringify(body) });
    // Several rounds: whether the pages' reads and writes interleave varies.
    for (let round = 1; round <= 4; round++) {
      const answers = await Promise.all(PAGES.map(put));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect((await api(url, alice)).body, `round ${round}`).toEqual({ prefs: Object.assign({}, ...PAGES) });
      const none = Object.fromEntries(PAGES.flatMap((p) => Object.keys(p)).map((key) => [key, null]));
      expect((await put(none)).body).toEqual({ prefs: {} });
    }
  });
});
