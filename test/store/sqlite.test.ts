import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../src/core/events.js';
import { migrate, openDatabase, SqliteStore } from '../../src/store/sqlite.js';

const dirs: string[] = [];
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'sharpeyes-store-'));
  dirs.push(d);
  return join(d, 'nested', 'sharpeyes.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ev = (id: string, extra: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  key: `panel:p1:${id}`,
  source: 'panel',
  device: 'p1',
  site: 's1',
  type: 'panic',
  ts: '2026-11-22T07:00:00.000Z',
  receivedAt: '2026-11-22T07:00:00.100Z',
  ...extra,
});

describe('SQLite store', () => {
  it('opens a WAL file with full sync and applies every migration once', () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    const versions = store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
      version: number;
    }[];
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(migrate(store.db)).toBe(0);
    store.db.close();
  });

  it('refuses migrations out of order', () => {
    const db = openDatabase(':memory:');
    expect(() =>
      migrate(db, [
        { version: 2, name: 'b', sql: 'SELECT 1' },
        { version: 1, name: 'a', sql: 'SELECT 1' },
      ]),
    ).toThrow(/out of order/);
  });

  it('rolls back a failing migration as a whole', () => {
    const db = openDatabase(':memory:');
    expect(() =>
      migrate(db, [{ version: 1, name: 'bad', sql: 'CREATE TABLE t (x); INSERT INTO nope VALUES (1);' }]),
    ).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").get()).toBeUndefined();
  });

  it('inserts events idempotently by key, and keeps them across reopen', async () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    expect(
      await store.events.insertMany([ev('1'), ev('2', { zone: '3', cid: 'E120', detail: { battery: 80 } })]),
    ).toEqual([true, true]);
    expect(await store.events.insertMany([ev('2'), ev('3')])).toEqual([false, true]);
    await store.close();
    const raw = new Database(file, { readonly: true });
    expect((raw.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(3);
    raw.close();
    const again = new SqliteStore(file);
    expect(await again.events.get('panel:p1:2')).toMatchObject({
      zone: '3',
      cid: 'E120',
      detail: { battery: 80 },
    });
    expect((await again.events.uncorrelated(10)).map((e) => e.key)).toEqual([
      'panel:p1:1',
      'panel:p1:2',
      'panel:p1:3',
    ]);
    await again.events.markCorrelated(['panel:p1:1'], '2026-11-22T07:00:01Z');
    expect(await again.events.uncorrelated(10)).toHaveLength(2);
    await again.close();
  });

  it('moves incidents with compare-and-set transitions', async () => {
    const store = new SqliteStore(tempFile());
    await store.events.insertMany([ev('1')]);
    const inc = await store.incidents.create({
      id: 'INC-1',
      site: 's1',
      jurisdiction: 'j1',
      priority: 1,
      rule: 'panic-p1',
      kind: 'alarm',
      confirmed: true,
      openedAt: '2026-11-22T07:00:00.200Z',
      firstEvent: 'panel:p1:1',
      by: 'system',
    });
    expect(inc).toMatchObject({
      state: 'new',
      events: [{ key: 'panel:p1:1', type: 'panic' }],
      clips: [],
      escalations: [],
    });
    expect(
      await store.incidents.transition('INC-1', 'new', 'acknowledged', 'op', '2026-11-22T07:01:00Z', 'on it'),
    ).toBe(true);
    expect(
      await store.incidents.transition('INC-1', 'new', 'acknowledged', 'op2', '2026-11-22T07:01:01Z'),
    ).toBe(false);
    const got = await store.incidents.get('INC-1');
    expect(got?.transitions.map((t) => [t.from, t.to, t.by, t.note])).toEqual([
      [null, 'new', 'system', undefined],
      ['new', 'acknowledged', 'op', 'on it'],
    ]);
    expect(await store.incidents.findOpen('s1', 'alarm')).toMatchObject({ id: 'INC-1' });
    expect(await store.incidents.list({ jurisdictions: ['j2'] })).toEqual([]);
    expect(
      (await store.incidents.list({ jurisdictions: ['j1'], states: ['acknowledged'] })).map((i) => i.id),
    ).toEqual(['INC-1']);
    await store.close();
  });
});
