import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditHash } from '../../src/audit/audit-log.js';
import { auditVerifyVerb } from '../../src/cli/audit-verify.js';
import { openDatabase } from '../../src/store/sqlite.js';
import { ev, openCore } from '../core/core-fixture.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sharpeyes.js');

/** A data dir whose audit log holds a real incident's life: open, ack, dispatch, note, resolve. */
async function auditedDataDir(): Promise<string> {
  const fx = await openCore({ audit: true });
  const audit = fx.audit;
  await audit.append({ actor: 'op', action: 'login', target: 'user:op', detail: { ip: '127.0.0.1' } });
  const { incident } = await fx.core.ingest(ev('panic'));
  await fx.core.transition(incident!, 'acknowledged', 'op', 'seen');
  await fx.core.dispatch(incident!, 'op', { unit: 'north-car-1' });
  await fx.core.addNote(incident!, 'op', 'keyholder called');
  await fx.core.transition(incident!, 'resolved', 'op', 'all clear');
  await fx.settle();
  expect((await audit.list({ target: `incident:${incident}` })).map((r) => r.action).reverse()).toEqual([
    'incident.open',
    'incident.acknowledged',
    'incident.dispatched',
    'incident.annotation',
    'incident.resolved',
  ]);
  await fx.close({ keep: true });
  return fx.dir;
}

/** Runs the verb in-process and returns its exit code and output. */
async function verify(dataDir: string): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  try {
    return { code: await auditVerifyVerb.run(['--data-dir', dataDir]), out };
  } finally {
    spy.mockRestore();
  }
}

describe('sharpeyes audit verify', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('exits 0 on an intact log and 1 with the first broken link after a row is edited (real CLI)', async () => {
    const dir = await auditedDataDir();
    dirs.push(dir);
    const ok = await run(process.execPath, [BIN, 'audit', 'verify', '--data-dir', dir]);
    expect(ok.stdout).toMatch(/audit log intact: 6 rows/);

    const db = openDatabase(join(dir, 'sharpeyes.db'));
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").run();
    db.close();
    const bad = await run(process.execPath, [BIN, 'audit', 'verify', '--data-dir', dir]).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/BROKEN at row 3: row 3 was altered/);
    expect(bad.stdout).toMatch(/"actor":"mallory"/);
  });

  it.each([
    {
      what: 'an edited detail',
      sql: `UPDATE audit_log SET detail = '{"note":"nothing happened"}' WHERE seq = 2`,
      broken: /BROKEN at row 2: row 2 was altered/,
    },
    {
      what: 'a deleted row',
      sql: 'DELETE FROM audit_log WHERE seq = 4',
      broken: /BROKEN at row 4: row 4 is missing/,
    },
    {
      what: 'an edited time on the last row',
      sql: `UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 6`,
      broken: /BROKEN at row 6/,
    },
  ])('finds $what', async ({ sql, broken }) => {
    const dir = await auditedDataDir();
    dirs.push(dir);
    expect((await verify(dir)).code).toBe(0);
    const db = openDatabase(join(dir, 'sharpeyes.db'));
    db.prepare(sql).run();
    db.close();
    const res = await verify(dir);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(broken);
  });

  it('a row re-hashed by the forger still breaks the link to the next row', async () => {
    const dir = await auditedDataDir();
    dirs.push(dir);
    const db = openDatabase(join(dir, 'sharpeyes.db'));
    const row = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as {
      seq: number;
      at: string;
      target: string;
      action: string;
      detail: string | null;
      prev_hash: string;
    };
    const hash = auditHash({ ...row, actor: 'mallory', prevHash: row.prev_hash });
    db.prepare("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2").run(hash);
    db.close();
    const res = await verify(dir);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/BROKEN at row 3: row 3 does not point at the hash of row 2/);
  });

  it('says so when there is no database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-empty-'));
    dirs.push(dir);
    await expect(auditVerifyVerb.run(['--data-dir', dir])).rejects.toThrow(/no database/);
  });
});
