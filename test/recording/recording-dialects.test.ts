import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

type Answer = { status: number; body: { error?: { code: string } } };

afterAll(() => stopSharedPostgres(), 60_000);

/**
 * The investigation routes that remove something (a bookmark, an evidence lock), asked from several
 * desks at the same instant, on SQLite and on PostgreSQL (several nodes share one database): the
 * thing is removed once, the others are told it is not there, and the audit log says it once.
 */
describe.each(SERVICE_BACKENDS)('recording routes at the same instant on %s', (_name, storage) => {
  let svc: TestService;
  let rec: RecordingPart;

  beforeEach(async () => {
    svc = await startTestService({
      yaml: `${API_CITY_YAML}\nrecording: { enabled: false }\n${await storage()}`,
    });
    rec = svc.svc.part<RecordingPart>('recording');
  }, 120_000);
  afterEach(async () => svc?.close());

  const removedOnce = (answers: Answer[], round: number) => {
    expect(answers.map((a) => a.status).sort(), `round ${round}`).toEqual([200, 404, 404]);
    for (const a of answers.filter((x) => x.status === 404)) expect(a.body.error?.code).toBe('not_found');
  };

  // Several rounds: whether the requests overlap between the read and the removal varies.
  it('a bookmark removed from three desks at the same instant: one 200, two 404, one audit row', async () => {
    const inv = await svc.login('inv-north', 'investigator', 'north');
    for (let round = 1; round <= 4; round++) {
      const post = await api<{ id: string }>(`${svc.httpUrl}/api/bookmarks`, inv, {
        method: 'POST',
        body: JSON.stringify({ camera: 'cam-shop', at: new Date().toISOString(), note: '门口有人' }),
      });
      expect(post.status).toBe(201);
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          api<Answer['body']>(`${svc.httpUrl}/api/bookmarks/${post.body.id}`, inv, { method: 'DELETE' }),
        ),
      );
      removedOnce(answers, round);
      const audited = (await svc.svc.need('audit').list({ action: 'footage.bookmark.remove' })).filter(
        (e) => (e.detail as { bookmark?: string }).bookmark === post.body.id,
      );
      expect(audited, `round ${round}`).toHaveLength(1);
    }
  });

  it('an evidence lock removed from three desks at the same instant: one 200, two 404, one audit row', async () => {
    const sup = await svc.login('sup-north', 'supervisor', 'north');
    for (let round = 1; round <= 4; round++) {
      const now = Date.now();
      const lock = await rec.index.lock({
        incidentId: null,
        camera: 'cam-shop',
        startMs: now - 60_000,
        endMs: now,
        reason: 'case 9',
        createdBy: 'inv',
      });
      const answers = await Promise.all(
        [1, 2, 3].map(() =>
          api<Answer['body']>(`${svc.httpUrl}/api/evidence-locks/${lock.id}`, sup, {
            method: 'DELETE',
            body: JSON.stringify({ reason: 'case 9 closed' }),
          }),
        ),
      );
      removedOnce(answers, round);
      const audited = await svc.svc
        .need('audit')
        .list({ action: 'evidence.unlock', target: `lock:${lock.id}` });
      expect(audited, `round ${round}`).toHaveLength(1);
    }
  });
});
