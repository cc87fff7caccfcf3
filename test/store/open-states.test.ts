import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DecisionStore } from '../../src/store/decision-store.js';
import { stateIsOpen } from '../../src/store/open-states.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { OwnerStore } from '../../src/workflow/ownership/owner-store.js';
import { planOf, recordPreparedSql } from '../helpers/prepared-sql.js';

const PAST = 2_000;

describe('reading a site’s open incidents (issue 13: the decision’s reads do not grow with the site’s history)', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-open-states-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    // A bank that has had 2,000 alarms, all closed, and one open now, held by an operator; another
    // site's open alarm, which must not be found for this one.
    const ins = store.db.prepare(
      `INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at)
       VALUES (?, ?, 'g1', 2, ?, 'intrusion', 'alarm', 1, ?, ?)`,
    );
    store.db.transaction(() => {
      for (let i = 0; i < PAST; i++) {
        const at = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString();
        ins.run(`old-${i}`, 'bank-1', i % 8 === 0 ? 'false_alarm' : 'resolved', at, at);
      }
      ins.run('open-1', 'bank-1', 'acknowledged', '2026-12-04T01:00:00.000Z', '2026-12-04T01:00:00.000Z');
      ins.run('other-1', 'bank-2', 'new', '2026-12-04T02:00:00.000Z', '2026-12-04T02:00:00.000Z');
      store.db
        .prepare(
          `INSERT INTO incident_owners (incident_id, owner, since, via) VALUES ('open-1', 'op-wang', ?, 'take')`,
        )
        .run('2026-12-04T01:00:05.000Z');
    })();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the open alarm and its holder among 2,000 closed ones, through the index of open incidents', async () => {
    const prepared = recordPreparedSql();
    const decisions = new DecisionStore(store.k, 'sqlite');
    const { alarm, holder } = await store.k.transaction().execute(async (tx) => ({
      alarm: await decisions.openAlarm(tx, 'bank-1'),
      holder: await new OwnerStore().siteHolder(tx, 'bank-1', 'a-new-alarm'),
    }));
    expect(alarm?.id).toBe('open-1');
    expect(alarm?.state).toBe('acknowledged');
    expect(holder).toBe('op-wang');

    // Every statement that looked for the site's open incidents: its plan, as SQLite chose it.
    const reads = prepared.filter((s) => /"incidents"/.test(s) && /in \('new'/.test(s));
    expect(reads.length).toBe(2);
    for (const sql of reads) {
      const plan = planOf(store.db, sql);
      // Before: "SEARCH incidents USING INDEX incidents_open_device (site=? AND kind=?)", every alarm
      // the site ever had, then a sort.
      expect(plan, sql).toMatch(/SEARCH (incidents|i) USING INDEX incidents_open \(site=\? AND kind=\?\)/);
      // The open alarm comes in the index's order (the latest opened); the holder's read sorts only
      // the owners of the site's open incidents.
      if (sql.includes('order by "opened_at"')) expect(plan, sql).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    }
  });

  it('a closed site has no open alarm, whatever its history', async () => {
    store.db.prepare(`UPDATE incidents SET state = 'resolved' WHERE id = 'open-1'`).run();
    const decisions = new DecisionStore(store.k, 'sqlite');
    const alarm = await store.k.transaction().execute((tx) => decisions.openAlarm(tx, 'bank-1'));
    expect(alarm).toBeUndefined();
  });

  it('writes the open states as literals (a partial index is only used for a condition like its own)', () => {
    const q = store.k.selectFrom('incidents as i').select('i.id').where(stateIsOpen('i.state')).compile();
    expect(q.sql).toBe(
      `select "i"."id" from "incidents" as "i" where "i"."state" in ('new', 'acknowledged', 'dispatched', 'on_scene')`,
    );
    expect(q.parameters).toEqual([]);
  });
});
