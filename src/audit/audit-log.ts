import { createHash } from 'node:crypto';
import type { Db } from '../store/sqlite.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GENESIS = '0'.repeat(64);

/** The hash of a row covers every field and the previous row's hash, so any edit breaks the chain. */
export function auditHash(r: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
  prevHash: string;
}): string {
  const canonical = JSON.stringify([r.seq, r.at, r.actor, r.action, r.target, r.detail, r.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * Append-only, hash-chained audit log. `append` is synchronous inside one SQLite transaction, so an
 * audited action (a footage view, an export) is on disk before the action is served.
 */
export class AuditLog {
  private readonly appendTx;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.appendTx = db.transaction((e: AuditEntry): AuditRecord => {
      const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS;
      const at = this.now().toISOString();
      const detail = e.detail ? JSON.stringify(e.detail) : null;
      const hash = auditHash({
        seq,
        at,
        actor: e.actor,
        action: e.action,
        target: e.target,
        detail,
        prevHash,
      });
      db.prepare(
        'INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(seq, at, e.actor, e.action, e.target, detail, prevHash, hash);
      return { ...e, seq, at, prevHash, hash };
    });
  }

  append(entry: AuditEntry): AuditRecord {
    return this.appendTx(entry);
  }

  /** Walks the chain; returns the first broken link, or ok with the number of rows checked. */
  verify(): { ok: true; rows: number } | { ok: false; seq: number; reason: string } {
    let prev = GENESIS;
    let expectedSeq = 1;
    let rows = 0;
    for (const r of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) {
      if (r.seq !== expectedSeq)
        return { ok: false, seq: expectedSeq, reason: `row ${expectedSeq} is missing` };
      if (r.prev_hash !== prev)
        return {
          ok: false,
          seq: r.seq,
          reason: `row ${r.seq} does not point at the hash of row ${r.seq - 1}`,
        };
      const h = auditHash({
        seq: r.seq,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        detail: r.detail,
        prevHash: r.prev_hash,
      });
      if (h !== r.hash) return { ok: false, seq: r.seq, reason: `row ${r.seq} was altered (hash mismatch)` };
      prev = r.hash;
      expectedSeq++;
      rows++;
    }
    return { ok: true, rows };
  }

  list(filter: { target?: string; action?: string; limit?: number } = {}): AuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.target) {
      where.push('target = ?');
      args.push(filter.target);
    }
    if (filter.action) {
      where.push('action = ?');
      args.push(filter.action);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
      )
      .all(...args, filter.limit ?? 200) as AuditRow[];
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      ...(r.detail ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }
}
