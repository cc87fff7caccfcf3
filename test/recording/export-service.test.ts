import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ExportService, type ExportStatus } from '../../src/recording/export-service.js';
import { loadOrCreateSiteKey } from '../../streams/evidence-keys.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { startTestService, TEST_CITY_YAML, testConfig } from '../helpers/service.js';
import { recordTestFootage, tempRecordingStore } from '../streams/recording-fixture.js';

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 0);
const BY = { username: 'inv', role: 'investigator', scope: 'city' };

describe('export service: shutdown and export retention', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  let exportsDir: string;
  const service = (o: { ffmpeg?: string; onProgress?: (s: ExportStatus) => void } = {}) =>
    new ExportService({
      k: store.k,
      index: store.index,
      exportsDir,
      key: loadOrCreateSiteKey(join(store.dir, 'keys')),
      log: silentLogger,
      onProgress: o.onProgress ?? (() => undefined),
      ...(o.ffmpeg ? { ffmpeg: o.ffmpeg } : {}),
    });
  const row = (id: string) =>
    store.db.prepare('SELECT state, error, file FROM recording_exports WHERE id = ?').get(id) as
      | { state: string; error: string | null; file: string | null }
      | undefined;

  beforeEach(() => {
    store = tempRecordingStore();
    exportsDir = join(store.dir, 'exports');
  });
  afterEach(async () => store?.cleanup());

  it('stop aborts the running export (ffmpeg killed, partial zip removed) and fails it and the queued one', async () => {
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 30, segmentSeconds: 2 });
    // Real ffmpeg, reading the concat input at its native rate, so the 30 s export is still running at stop.
    const pidFile = join(store.dir, 'ffmpeg.pid');
    const wrapper = join(store.dir, 'slow-ffmpeg.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nexec ffmpeg -re "$@"\n`);
    chmodSync(wrapper, 0o755);
    let running!: () => void;
    const progressed = new Promise<void>((r) => {
      running = r;
    });
    const exports = service({
      ffmpeg: wrapper,
      onProgress: (s) => {
        if (s.state === 'running' && s.progress > 0) running();
      },
    });
    const req = { cameras: ['cam-1'], fromMs: BASE, toMs: BASE + 30_000, reason: 'case', exportedBy: BY };
    const first = await exports.create(req);
    const second = await exports.create(req);
    await progressed;
    expect(readdirSync(exportsDir)).toEqual([`${first}.work`]);
    const pid = Number(readFileSync(pidFile, 'utf8'));

    await exports.stop();
    expect(row(first)).toMatchObject({ state: 'failed', error: 'interrupted by shutdown', file: null });
    expect(row(second)).toMatchObject({ state: 'failed', error: 'interrupted by shutdown' });
    expect(readdirSync(exportsDir)).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    // A request after stop is failed at once, not run.
    const late = await exports.create(req);
    expect(row(late)).toMatchObject({ state: 'failed', error: 'interrupted by shutdown' });
  }, 30_000);

  it('the retention maintainer deletes exports older than exportRetentionDays (zip, row and export lock)', async () => {
    const NOW = Date.UTC(2026, 0, 31, 12);
    const exports = service();
    mkdirSync(exportsDir, { recursive: true });
    const add = (id: string, ageDays: number, state: string, incident: string | null) => {
      const file = join(exportsDir, `${id}.zip`);
      writeFileSync(file, 'zip');
      store.db
        .prepare(
          `INSERT INTO recording_exports (id, requested_by, cameras, from_ms, to_ms, reason, incident_id, state, progress, file, created_at)
           VALUES (?, 'inv', '["cam-1"]', 0, 1000, 'case', ?, ?, 1, ?, ?)`,
        )
        .run(id, incident, state, file, new Date(NOW - ageDays * DAY).toISOString());
      store.index.lock({
        incidentId: incident,
        camera: 'cam-1',
        startMs: 0,
        endMs: 1000,
        reason: `export ${id}`,
        createdBy: 'inv',
      });
      return file;
    };
    const old = add('old', 31, 'done', null);
    const oldFailed = add('old-failed', 40, 'failed', null);
    const oldOfIncident = add('old-inc', 35, 'done', 'inc-1');
    const recent = add('recent', 29, 'done', null);
    const maint = new RetentionMaintainer({
      index: store.index,
      paths: [{ path: store.storage }],
      retentionDays: 365,
      minFreeHours: 1,
      log: silentLogger,
      now: () => NOW,
      freeBytes: async () => Number.MAX_SAFE_INTEGER,
      exports: { retentionDays: 30, expire: async (cutoff) => (await exports.expire(cutoff)).length },
    });
    expect((await maint.runOnce()).exports).toBe(3);
    expect([old, oldFailed, oldOfIncident, recent].map((f) => existsSync(f))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(['old', 'old-failed', 'old-inc', 'recent'].map((id) => row(id)?.state ?? null)).toEqual([
      null,
      null,
      null,
      'done',
    ]);
    // The export's own locks go with it; a lock tied to an incident stays.
    expect((await store.index.locks()).map((l) => l.reason).sort()).toEqual([
      'export old-inc',
      'export recent',
    ]);
    expect((await maint.runOnce()).exports).toBe(0);
  });
});

describe('export retention in the service', () => {
  it('defaults to 30 days; the maintainer deletes an old export (zip and row) and audits it', async () => {
    expect(testConfig().recording.exportRetentionDays).toBe(30);
    const svc = await startTestService({
      yaml: `${TEST_CITY_YAML}\nrecording: { exportRetentionDays: 2 }\n`,
    });
    try {
      const file = join(svc.dataDir, 'exports', 'old.zip');
      writeFileSync(file, 'zip');
      const insert = svc.svc.need('store').db.prepare(
        `INSERT INTO recording_exports (id, requested_by, cameras, from_ms, to_ms, reason, state, progress, file, created_at)
           VALUES (?, 'inv', '[]', 0, 1000, 'case', 'done', 1, ?, ?)`,
      );
      insert.run('old', file, new Date(Date.now() - 3 * DAY).toISOString());
      insert.run('fresh', null, new Date(Date.now() - DAY).toISOString());
      const rec = svc.svc.part<{ retention: RetentionMaintainer }>('recording');
      // The start-up pass may be running as well: whichever pass deletes the export reports it, once.
      expect((await rec.retention.runOnce()).exports).toBeLessThanOrEqual(1);
      await expect.poll(() => existsSync(file)).toBe(false);
      const ids = svc.svc.need('store').db.prepare('SELECT id FROM recording_exports').all();
      expect(ids).toEqual([{ id: 'fresh' }]);
      await expect
        .poll(() => svc.svc.need('audit').list({ action: 'footage.export.expire' }))
        .toEqual([
          expect.objectContaining({
            actor: 'system',
            target: 'export:old',
            detail: expect.objectContaining({ retentionDays: 2 }),
          }),
        ]);
    } finally {
      await svc.close();
    }
  });
});
