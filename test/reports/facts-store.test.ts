import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FactsStore } from '../../src/reports/facts-store.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { planOf, recordPreparedSql } from '../helpers/prepared-sql.js';

const N = 1_000;

describe('FactsStore.incidentPage (the reports backfill walks every incident a page at a time)', () => {
  let dir: string;
  let store: SqliteStore;
  let expected: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-facts-store-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    // Incidents opened in threes within the same millisecond (a burst of alarms from one feed), the
    // ids not in the order they were written: the walk must neither skip nor repeat one of a tie.
    const ins = store.db.prepare(
      `INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at)
       VALUES (?, 'bank-1', 'g1', 2, 'resolved', 'intrusion', 'alarm', 1, ?, ?)`,
    );
    const rows: { id: string; at: string }[] = [];
    for (let i = 0; i < N; i++) {
      const at = new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 3) * 60_000).toISOString();
      rows.push({ id: `inc-${String((i * 7919) % N).padStart(4, '0')}`, at });
    }
    store.db.transaction(() => {
      for (const r of [...rows].reverse()) ins.run(r.id, r.at, r.at);
    })();
    expected = rows
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1))
      .map((r) => r.id);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns every incident once, in (opened_at, id) order, across ties', async () => {
    const facts = new FactsStore(store.k, store.dialect);
    const seen: string[] = [];
    let after: { openedAt: string; id: string } | undefined;
    for (;;) {
      const page = await facts.incidentPage(after, 7);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(7);
      seen.push(...page.map((p) => p.id));
      after = page.at(-1);
    }
    expect(seen).toEqual(expected);
  });

  it('reads a page as a range of the opened_at index, not every incident after the cursor', async () => {
    const prepared = recordPreparedSql();
    const facts = new FactsStore(store.k, store.dialect);
    const first = await facts.incidentPage(undefined, 200);
    await facts.incidentPage(first.at(-1), 200);
    const sql = prepared.find((s) => /from "incidents"/.test(s) && / where /.test(s) && /limit/.test(s));
    expect(sql).toBeDefined();
    const plan = planOf(store.db, sql!);
    // Before: "MULTI-INDEX OR | … (opened_at>?) | … (opened_at=?) | USE TEMP B-TREE FOR ORDER BY":
    // every incident after the cursor read and sorted, for each page of a year's history.
    expect(plan).toMatch(/SEARCH incidents USING (COVERING )?INDEX incidents_opened \(opened_at>\?\)/);
    expect(plan).not.toMatch(/MULTI-INDEX OR/);
    expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });
});
