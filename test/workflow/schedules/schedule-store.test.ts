import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { ScheduleStore } from '../../../src/workflow/schedules/schedule-store.js';

describe('desk changes to opening hours, as they stood at a time', () => {
  let dir: string;
  let store: SqliteStore;
  const schedules = new ScheduleStore();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-schedule-store-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const add = (reason: string, at: string) =>
    schedules.addChange(store.k, {
      site: 'bank-2',
      from: '2026-12-03',
      to: '2026-12-03',
      hours: 'closed',
      reason,
      by: 'op',
      at,
    });
  const reasons = async (asOf?: string) =>
    (await schedules.changes(store.k, 'bank-2', '2026-12-02', asOf)).map((c) => c.reason);

  it('a disarm at 10:00 meets the changes made by then and not deleted by then', async () => {
    const early = await add('停电检修', '2026-12-03T01:00:00.000Z');
    await add('再次停电', '2026-12-03T02:00:01.000Z'); // made a second after the disarm
    await schedules.deleteChange(store.k, 'bank-2', early, '2026-12-03T02:00:05.000Z');
    const disarm = '2026-12-03T02:00:00.000Z';
    expect(await reasons(disarm)).toEqual(['停电检修']);
    // Now (no time given): what is in force, as the desk and the closing check see it.
    expect(await reasons()).toEqual(['再次停电']);
    expect(await reasons('2026-12-03T00:59:59.000Z')).toEqual([]);
    expect(await reasons('2026-12-03T02:00:05.000Z')).toEqual(['再次停电']); // deleted at that instant
  });
});
