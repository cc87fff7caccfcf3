import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { auditSink } from '../../src/outbox/audit-sink.js';
import type { OutboxRow } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { turnsDuring } from '../helpers/loop-turns.js';

/**
 * A busy quarter second of the outbox as the audit sink reads it: for each of 12 panics, the event
 * stored (no audit entry), the incident opened, a camera joining it and its acknowledgement.
 */
function busyOutbox(): OutboxRow[] {
  const rows: OutboxRow[] = [];
  const row = (r: Pick<OutboxRow, 'topic' | 'incidentId' | 'payload'>) =>
    rows.push({
      seq: rows.length + 1,
      at: '2026-12-03T19:00:00.000Z',
      site: 'shop-1',
      jurisdiction: 'north-grid-1',
      ...r,
    });
  for (let i = 0; i < 12; i++) {
    const id = `inc-${i}`;
    row({ topic: 'event:stored', incidentId: id, payload: { event: { key: `panel:p-${i}:1` } } });
    row({
      topic: 'incident:new',
      incidentId: id,
      payload: { rule: 'panic', priority: 1, eventKey: `panel:p-${i}:1` },
    });
    row({
      topic: 'incident:update',
      incidentId: id,
      payload: { change: { kind: 'event', eventKey: `camera:c-${i}:1` } },
    });
    row({
      topic: 'incident:update',
      incidentId: id,
      payload: { change: { kind: 'transition', from: 'new', to: 'acknowledged', by: 'op-a' } },
    });
  }
  return rows;
}

/** What the log holds, oldest first: action and target of each entry. */
const logged = async (audit: AuditLog) =>
  (await audit.list({ limit: 1000 })).reverse().map((r) => `${r.action} ${r.target}`);

describe('audit sink', () => {
  let dir: string;
  let store: SqliteStore;
  let audit: AuditLog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-audit-sink-'));
    store = new SqliteStore(join(dir, 'sharpeyes.db'));
    audit = new AuditLog(store.k);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = Array.from({ length: 12 }, (_, i) => [
    `incident.open incident:inc-${i}`,
    `incident.event incident:inc-${i}`,
    `incident.acknowledged incident:inc-${i}`,
  ]).flat();

  it('appends each change once, in outbox order, and stores its cursor at the last row', async () => {
    const rows = busyOutbox();
    await auditSink(audit).handle(rows);
    expect(await logged(audit)).toEqual(expected);
    expect(await audit.verify()).toEqual({ ok: true, rows: 36 });
    expect(await audit.cursor('audit')).toBe(48);
    // Delivered again (a restart before the dispatcher moved on): nothing twice.
    await auditSink(audit).handle(rows);
    expect(await logged(audit)).toEqual(expected);
  });

  it('a failure between slices: the batch handled again appends the rest, nothing twice', async () => {
    const rows = busyOutbox();
    let calls = 0;
    // The disk fills on the third append of the batch (after 16 entries).
    const failing = Object.create(audit) as AuditLog;
    failing.appendMany = async (...args: Parameters<AuditLog['appendMany']>) => {
      if (++calls === 3) throw new Error('SQLITE_FULL: database or disk is full');
      return audit.appendMany(...args);
    };
    await expect(auditSink(failing).handle(rows)).rejects.toThrow('SQLITE_FULL');
    expect(await audit.list({ limit: 1000 })).toHaveLength(16);
    await auditSink(audit).handle(rows);
    expect(await logged(audit)).toEqual(expected);
    expect(await audit.verify()).toEqual({ ok: true, rows: 36 });
  });

  it('lets the event loop turn between slices: a batch never holds the alarm thread whole', async () => {
    // On SQLite each append is synchronous on this thread; a panel's PUBLISH that arrives
    // meanwhile waits until the sink gives the loop a turn.
    const turns = await turnsDuring(() => auditSink(audit).handle(busyOutbox()));
    // 36 entries, 8 to a slice: 5 slices, a turn between each two.
    expect(turns).toBeGreaterThanOrEqual(4);
  });
});
