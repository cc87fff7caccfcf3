import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident-types.js';
import { MIGRATIONS } from '../../../src/store/migrations/index.js';
import { migrate, openDatabase } from '../../../src/store/sqlite.js';
import { nextEvent, opsClient, startTestService, type TestService } from '../../helpers/service.js';
import { walCommits } from '../../helpers/wal.js';

/**
 * The b-trees (tables and indexes) each commit in the write-ahead log wrote, in order: a frame of the
 * log is a page, and `dbstat` names the b-tree each page belongs to.
 */
function commitsInWal(db: ReturnType<typeof openDatabase>, walFile: string): string[][] {
  const owner = new Map<number, string>();
  for (const r of db.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[])
    owner.set(r.pageno, r.name);
  return walCommits(walFile).map((pages) => pages.map((p) => owner.get(p) ?? `page ${p}`));
}

/** What a panic that opens an incident writes, and nothing else (`sqlite_schema`: the file grew). */
const DECISION_BTREES = [
  'events',
  'events_device_time',
  'events_site_time',
  'incident_events',
  'incident_events_event',
  'incident_plans',
  'incident_zones',
  'incidents',
  'incidents_jurisdiction_opened',
  'incidents_open',
  'incidents_opened',
  'incidents_site_state',
  'incidents_state_opened',
  'outbox',
  'sqlite_autoindex_events_1',
  'sqlite_autoindex_incident_plans_1',
  'sqlite_autoindex_incidents_1',
  'sqlite_sequence',
  'transitions',
  'transitions_incident',
];

describe('migration 112: a decision writes fewer pages (issue 13)', () => {
  let svc: TestService | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a panic’s commit writes one page of each of 20 b-trees: no unused index, no rowid beside a key', async () => {
    svc = await startTestService();
    const db = svc.svc.need('store').db;
    const ops = await opsClient(svc.httpUrl, await svc.login('op-li'));
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      clientId: 'panel-1',
      username: 'panel-1',
      password: 'secret-panel-1',
      reconnectPeriod: 0,
    });
    try {
      // The log from here on holds this panic's commits alone.
      db.pragma('wal_autocheckpoint = 0');
      expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
      const opened = nextEvent<Incident>(ops, 'incident:new');
      await panel.publishAsync(
        'sharpeyes/panels/panel-1/event',
        JSON.stringify({ id: 'p112', type: 'panic', zone: '1', ts: new Date().toISOString() }),
        { qos: 1 },
      );
      expect((await opened).site).toBe('shop-1');
      const decisions = commitsInWal(db, join(svc.dataDir, 'sharpeyes.db-wal')).filter((c) =>
        c.includes('incidents'),
      );
      expect(decisions).toHaveLength(1);
      const pages = decisions[0]!.filter((b) => b !== 'sqlite_schema');
      expect([...new Set(pages)].sort()).toEqual(DECISION_BTREES);
      // Before: 25 b-trees (incidents_open_device, incidents_closed, outbox_at, and the rowid tables
      // beside the keys of incident_events and incident_zones).
      expect(pages.length).toBeLessThanOrEqual(DECISION_BTREES.length + 2);
    } finally {
      await panel.endAsync();
      ops.close();
    }
  });

  it('keeps the links and zones of a database made before it, under their keys, their references enforced', () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-112-'));
    const db = openDatabase(join(dir, 'sharpeyes.db'));
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 112),
      );
      const at = '2026-12-05T01:00:00.000Z';
      db.prepare(
        `INSERT INTO events (key, source, device, site, type, ts, received_at) VALUES (?, 'mqtt', 'panel-1', 'shop-1', 'panic', ?, ?)`,
      ).run('ev-1', at, at);
      db.prepare(
        `INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at)
         VALUES ('inc-1', 'shop-1', 'north', 1, 'new', 'panic', 'alarm', 1, ?, ?)`,
      ).run(at, at);
      db.prepare(`INSERT INTO incident_events (incident_id, event_key) VALUES ('inc-1', 'ev-1')`).run();
      db.prepare(
        `INSERT INTO incident_zones (incident_id, device, zone, type) VALUES ('inc-1', 'panel-1', '1', 'panic')`,
      ).run();

      // 112 alone: the migrations after it do not touch these tables.
      expect(
        migrate(
          db,
          MIGRATIONS.filter((m) => m.version <= 112),
        ),
      ).toBe(1);
      expect(db.prepare('SELECT incident_id, event_key FROM incident_events').all()).toEqual([
        { incident_id: 'inc-1', event_key: 'ev-1' },
      ]);
      expect(db.prepare('SELECT * FROM incident_zones').all()).toEqual([
        { incident_id: 'inc-1', device: 'panel-1', zone: '1', type: 'panic' },
      ]);
      for (const table of ['incident_events', 'incident_zones']) {
        const ddl = (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(table) as { sql: string })
          .sql;
        expect(ddl).toMatch(/WITHOUT ROWID$/);
      }
      const indexes = (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
          .all() as {
          name: string;
        }[]
      ).map((r) => r.name);
      expect(indexes).toContain('incident_events_event');
      for (const gone of ['incidents_open_device', 'incidents_closed', 'outbox_at'])
        expect(indexes).not.toContain(gone);
      // The same link twice, or a link to an incident that does not exist, is still refused.
      expect(() =>
        db.prepare(`INSERT INTO incident_events (incident_id, event_key) VALUES ('inc-1', 'ev-1')`).run(),
      ).toThrow(/UNIQUE/);
      expect(() =>
        db.prepare(`INSERT INTO incident_events (incident_id, event_key) VALUES ('inc-404', 'ev-1')`).run(),
      ).toThrow(/FOREIGN KEY/);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });
});
