import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { startTestService, type TestService } from '../helpers/service.js';

afterAll(() => stopSharedPostgres(), 60_000);

type Err = { error: { code: string; message: string } };

/**
 * `GET /api/exports/:id/download` while export retention takes the export away, on SQLite and on
 * PostgreSQL (another node's retention pass): a download is the whole zip, audited once, or a 410
 * `export_gone` that says so, audited not at all (nothing was served); never a 500, a truncated 200
 * or a 409 saying a finished export is not ready.
 */
describe.each(SERVICE_BACKENDS)('an export downloaded as retention removes it, on %s', (_name, storage) => {
  let svc: TestService;
  let rec: RecordingPart;
  let inv: string;

  beforeEach(async () => {
    svc = await startTestService({
      yaml: `${API_CITY_YAML}\nrecording: { enabled: false }\n${await storage()}`,
    });
    rec = svc.svc.part<RecordingPart>('recording');
    inv = await svc.login('inv-north', 'investigator', 'north');
  }, 120_000);
  afterEach(async () => svc?.close());

  /** A finished export of inv-north's, created `ageDays` ago, its zip `bytes` long on disk. */
  const finished = async (bytes: number, ageDays = 40) => {
    const id = randomUUID();
    const file = join(svc.dataDir, `export-${id}.zip`);
    const content = randomBytes(bytes);
    writeFileSync(file, content);
    const at = new Date(Date.now() - ageDays * 86_400_000).toISOString();
    await svc.svc
      .need('store')
      .k.insertInto('recording_exports')
      .values({
        id,
        requested_by: 'inv-north',
        cameras: JSON.stringify(['cam-shop']),
        from_ms: Date.now() - 120_000,
        to_ms: Date.now() - 60_000,
        reason: '盗窃案取证',
        incident_id: null,
        state: 'done',
        progress: 1,
        file,
        error: null,
        created_at: at,
        finished_at: at,
      })
      .execute();
    return { id, file, content };
  };
  const download = async (id: string) => {
    const res = await fetch(`${svc.httpUrl}/api/exports/${id}/download`, {
      headers: { authorization: `Bearer ${inv}` },
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, body, type: res.headers.get('content-type') ?? '' };
  };
  const downloads = async (id: string) =>
    (await svc.svc.need('audit').list({ action: 'footage.export.download', target: `export:${id}` })).length;
  const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as Err).error;

  it('a kept export: the whole zip as an attachment, audited once', async () => {
    const e = await finished(256 * 1024, 1);
    const res = await fetch(`${svc.httpUrl}/api/exports/${e.id}/download`, {
      headers: { authorization: `Bearer ${inv}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=sharpeyes-export-${e.id}.zip`);
    expect(res.headers.get('content-length')).toBe(String(e.content.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(e.content)).toBe(true);
    expect(await downloads(e.id)).toBe(1);
  });

  it('a download resumed where it broke off: 206 with that range, the whole zip when it changed since, 416 past its end', async () => {
    const e = await finished(64 * 1024, 1);
    const ask = (headers: Record<string, string>) =>
      fetch(`${svc.httpUrl}/api/exports/${e.id}/download`, {
        headers: { authorization: `Bearer ${inv}`, ...headers },
      });
    const whole = await ask({});
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const modified = whole.headers.get('last-modified')!;
    expect(modified).toBeTruthy();
    await whole.arrayBuffer();
    const rest = await ask({ range: 'bytes=40000-', 'if-range': modified });
    expect(rest.status).toBe(206);
    expect(rest.headers.get('content-range')).toBe(`bytes 40000-${e.content.length - 1}/${e.content.length}`);
    expect(Buffer.from(await rest.arrayBuffer()).equals(e.content.subarray(40000))).toBe(true);
    // By its tag as well as its date (a download manager keeps either).
    const tag = whole.headers.get('etag')!;
    expect(tag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const byTag = await ask({ range: 'bytes=40000-', 'if-range': tag });
    expect(byTag.status).toBe(206);
    expect(Buffer.from(await byTag.arrayBuffer()).equals(e.content.subarray(40000))).toBe(true);
    const changed = await ask({ range: 'bytes=40000-', 'if-range': 'Thu, 01 Jan 2026 00:00:00 GMT' });
    expect(changed.status).toBe(200);
    expect(Buffer.from(await changed.arrayBuffer()).equals(e.content)).toBe(true);
    const past = await ask({ range: `bytes=${e.content.length + 10}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${e.content.length}`);
    expect(((await past.json()) as Err).error.code).toBe('range_not_satisfiable');
    // Each download that served bytes is a row (the resumed one names its range); the refused one is not.
    const rows = await svc.svc
      .need('audit')
      .list({ action: 'footage.export.download', target: `export:${e.id}` });
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => (r.detail as { range?: string } | null)?.range ?? null).sort()).toEqual([
      `40000-${e.content.length - 1}`,
      `40000-${e.content.length - 1}`,
      null,
      null,
    ]);
  });

  it('the zip removed from disk, its row still there: 410 export_gone, not audited as downloaded', async () => {
    const e = await finished(1024);
    rmSync(e.file);
    const res = await download(e.id);
    expect(res.status).toBe(410);
    expect(errorOf(res.body)).toMatchObject({ code: 'export_gone', message: expect.stringMatching(/again/) });
    expect(await downloads(e.id)).toBe(0);
  });

  it('the export expired before the download: 404 not_found, as for any export that is not there', async () => {
    const e = await finished(1024);
    expect((await rec.exports.expire(Date.now())).map((g) => g.id)).toContain(e.id);
    const res = await download(e.id);
    expect(res.status).toBe(404);
    expect(errorOf(res.body).code).toBe('not_found');
    expect(await downloads(e.id)).toBe(0);
  });

  it('retention at the same instant as the download: the whole zip and one audit row, or 404/410 and none', async () => {
    // Several rounds: whether retention lands between the download's checks and its stream varies.
    for (let round = 1; round <= 12; round++) {
      const e = await finished(4 * 1024 * 1024);
      const [res] = await Promise.all([download(e.id), rec.exports.expire(Date.now())]);
      expect([200, 404, 410], `round ${round}: ${res.status} ${res.type}`).toContain(res.status);
      if (res.status === 200) {
        expect(res.body.length, `round ${round}: a truncated zip`).toBe(e.content.length);
        expect(res.body.equals(e.content), `round ${round}`).toBe(true);
        expect(await downloads(e.id), `round ${round}`).toBe(1);
      } else {
        expect(errorOf(res.body).code, `round ${round}`).toBe(
          res.status === 404 ? 'not_found' : 'export_gone',
        );
        expect(await downloads(e.id), `round ${round}: audited, nothing served`).toBe(0);
      }
      expect(existsSync(e.file), `round ${round}`).toBe(false);
    }
  });
});
