import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemHistoryStore } from '../../../src/health/system-history.js';
import { MIGRATIONS } from '../../../src/store/migrations/index.js';
import { migrate, openDatabase, SqliteStore } from '../../../src/store/sqlite.js';

describe('migration 114: 系统状态’s minutes keep recording’s faults', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a minute written before it reads as no fault; one written after keeps its counts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-mig114-'));
    const file = join(dir, 'sharpeyes.db');
    const before = openDatabase(file);
    expect(
      migrate(
        before,
        MIGRATIONS.filter((m) => m.version <= 113),
      ),
    ).toBeGreaterThan(0);
    const minute = Date.UTC(2026, 11, 6, 4, 0, 0);
    before
      .prepare(
        `INSERT INTO system_minutes (minute, node, committed, wait_p50_ms, wait_p99_ms, wait_max_ms, sinks_failing,
           sinks_behind, sinks_behind_seconds, loop_p99_ms, loop_max_ms, started)
         VALUES (?, 'old', 2, 1, 2, 3, 0, 0, 0, 0.5, 4, 0)`,
      )
      .run(minute);
    before.close();

    const store = new SqliteStore(file);
    try {
      const history = new SystemHistoryStore(store.k);
      await history.write('new', minute + 60_000, {
        committed: 1,
        waitP50Ms: 1,
        waitP99Ms: 1,
        waitMaxMs: 1,
        sinksFailing: 0,
        sinksBehind: 0,
        sinksBehindSeconds: 0,
        loopP99Ms: 0,
        loopMaxMs: 0,
        recording: { camerasFailing: 2, camerasDropping: 1, storageShort: 1, storageFull: 0 },
      });
      const h = await history.read(minute, minute + 120_000, 1);
      expect(
        h.points.map((p) => [
          p.committed,
          p.recordingFailing,
          p.recordingDropping,
          p.storageShort,
          p.storageFull,
        ]),
      ).toEqual([
        [2, 0, 0, 0, 0],
        [1, 2, 1, 1, 0],
      ]);
    } finally {
      await store.close();
    }
  });
});
