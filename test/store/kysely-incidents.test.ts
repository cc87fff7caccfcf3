import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';

describe('an incident view (what every push carries)', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-incident-view-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    store.db.exec(`
      INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at, event_count)
        VALUES ('inc-1', 'bank-2', 'g1', 1, 'new', 'panic', 'alarm', 1, '2026-12-03T02:00:00.000Z', '2026-12-03T02:00:00.000Z', 1);
      INSERT INTO events (key, source, device, site, type, ts, received_at)
        VALUES ('e1', 'panel', 'panel-2', 'bank-2', 'panic', '2026-12-03T02:00:00.000Z', '2026-12-03T02:00:00.000Z');
      INSERT INTO incident_events (incident_id, event_key) VALUES ('inc-1', 'e1');
    `);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLite: is read from one snapshot, never half before and half after a decision committed meanwhile', async () => {
    const view = store.incidents.view('inc-1');
    // A second event joins while the view is being read: its row, its link and the count, committed together.
    const join = store.k.transaction().execute(async (tx) => {
      await tx
        .insertInto('events')
        .values({
          key: 'e2',
          source: 'panel',
          device: 'panel-2',
          site: 'bank-2',
          type: 'intrusion',
          ts: '2026-12-03T02:00:05.000Z',
          received_at: '2026-12-03T02:00:05.000Z',
        })
        .execute();
      await tx.insertInto('incident_events').values({ incident_id: 'inc-1', event_key: 'e2' }).execute();
      await tx.updateTable('incidents').set({ event_count: 2 }).where('id', '=', 'inc-1').execute();
    });
    const [inc] = await Promise.all([view, join]);
    // Before it (the view came first): one event counted, one listed. Read query by query, the
    // incident's row came before the decision and its events after it: a count of 1 with 2 events.
    expect({ count: inc!.eventCount, events: inc!.events.map((e) => e.key) }).toEqual({
      count: 1,
      events: ['e1'],
    });
    const after = await store.incidents.view('inc-1');
    expect({ count: after!.eventCount, events: after!.events.map((e) => e.key) }).toEqual({
      count: 2,
      events: ['e1', 'e2'],
    });
  });
});
