import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { type Db, openDatabase } from '../../src/store/sqlite.js';
import {
  FALLBACK_CHECKPOINT_PAGES,
  INLINE_CHECKPOINT_PAGES,
  WalCheckpointer,
} from '../../src/store/wal-checkpointer.js';
import { startTestService } from '../helpers/service.js';

const autocheckpoint = (db: Db) => db.pragma('wal_autocheckpoint', { simple: true });

/** 400 commits of 8 KiB rows: some 900 pages into the log, under either threshold. */
function writeRows(db: Db): void {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  for (let i = 0; i < 400; i++) insert.run('x'.repeat(8192));
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WalCheckpointer', () => {
  let dir: string;
  let file: string;
  let db: Db;
  let said: string[];
  const log = () => pino({ level: 'info' }, { write: (line: string) => void said.push(line) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-wal-'));
    file = join(dir, 'sharpeyes.db');
    db = openDatabase(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    said = [];
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the log into the database file from its thread, and the commits leave it there', async () => {
    const metrics = new Metrics();
    const cp = new WalCheckpointer({ db, file, log: log(), metrics, everyMs: 50 });
    cp.start();
    expect(autocheckpoint(db)).toBe(FALLBACK_CHECKPOINT_PAGES);
    const before = statSync(file).size;
    writeRows(db);
    // The commits themselves copied nothing (under 10,000 pages): the file grows only by the thread.
    await until('the database file to hold the rows', () => statSync(file).size > before + 3_000_000);
    // The thread's report of that pass follows its copy.
    const frames = async () =>
      Number(/sharpeyes_sqlite_wal_frames (\d+)/.exec(await metrics.registry.metrics())?.[1]);
    await until('the thread to report the frames', async () => (await frames()) > 800);
    expect(await metrics.registry.metrics()).toMatch(/sharpeyes_sqlite_checkpoint_seconds_count [1-9]/);
    await cp.stop();
    expect(cp.running).toBe(false);
    expect(autocheckpoint(db)).toBe(INLINE_CHECKPOINT_PAGES);
  });

  it('without it the same commits leave the rows in the log (the test above is not SQLite at work)', () => {
    db.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    const before = statSync(file).size;
    writeRows(db);
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(3_000_000);
  });

  it('closes its connection at stop: the service connection, last to close, removes the log', async () => {
    const cp = new WalCheckpointer({ db, file, log: log(), everyMs: 50 });
    cp.start();
    writeRows(db);
    await cp.stop();
    await cp.stop(); // twice is harmless
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(said.join('')).not.toMatch(/exited/);
  });

  it('hands the checkpoint back to the commits when its thread dies, and says so', async () => {
    const cp = new WalCheckpointer({ db, file: join(dir, 'gone.db'), log: log(), everyMs: 50 });
    cp.start();
    await until('the thread to fail', () => !cp.running);
    expect(autocheckpoint(db)).toBe(INLINE_CHECKPOINT_PAGES);
    const lines = said.map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(lines.map((l) => l.msg)).toContain(
      'store: WAL checkpoint thread exited; commits checkpoint the log themselves',
    );
    expect(lines.every((l) => l.level >= 50)).toBe(true);
  });
});

describe('the service', () => {
  it('checkpoints its SQLite file on the thread and stops it with the store', async () => {
    const svc = await startTestService();
    try {
      const cp = svc.svc.parts.get('store.checkpointer') as WalCheckpointer;
      expect(cp.running).toBe(true);
      expect(autocheckpoint(svc.svc.need('store').db)).toBe(FALLBACK_CHECKPOINT_PAGES);
      await svc.close();
      expect(cp.running).toBe(false);
    } finally {
      await svc.close();
    }
  });
});
