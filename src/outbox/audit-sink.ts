import type { AuditEntry, AuditLog, OutboxAuditEntry } from '../audit/audit-log.js';
import type { IncidentChange } from '../bus.js';
import { MAX_LIST } from '../store/prepared.js';
import { nextTurn } from '../util/next-turn.js';
import type { OutboxRow } from './outbox.js';
import type { OutboxSink } from './outbox-dispatcher.js';

function changeEntry(target: string, change: IncidentChange): AuditEntry {
  switch (change.kind) {
    case 'transition':
      return {
        actor: change.by,
        action: `incident.${change.to}`,
        target,
        detail: {
          from: change.from,
          ...(change.note ? { note: change.note } : {}),
          ...(change.outcome ? { outcome: change.outcome } : {}),
        },
      };
    case 'event':
      return { actor: 'system', action: 'incident.event', target, detail: { event: change.eventKey } };
    case 'priority':
      return {
        actor: 'system',
        action: 'incident.priority',
        target,
        detail: {
          from: change.from,
          to: change.to,
          ...(change.confirmedBy ? { confirmedBy: change.confirmedBy } : {}),
          ...(change.eventKey ? { event: change.eventKey } : {}),
        },
      };
    case 'escalation':
      return {
        actor: 'system',
        action: 'incident.escalation',
        target,
        // Both times: a step taken late (the service was down when it fell due) reads as such.
        detail: {
          step: change.step,
          jurisdiction: change.jurisdiction,
          ...(change.at ? { at: change.at } : {}),
          ...(change.dueAt ? { dueAt: change.dueAt } : {}),
        },
      };
    case 'clip':
      return { actor: 'system', action: 'incident.clip', target, detail: { camera: change.camera } };
    case 'annotation':
      return {
        actor: change.by ?? 'system',
        action: 'incident.annotation',
        target,
        detail: { what: change.what },
      };
    case 'workflow':
      return {
        actor: change.by ?? 'system',
        action: `incident.${change.what}`,
        target,
        detail: change.detail ?? {},
      };
  }
}

/** The audit entry an outbox row stands for, if any. Exported for tests. */
export function auditEntryOf(row: OutboxRow): AuditEntry | undefined {
  const target = `incident:${row.incidentId}`;
  switch (row.topic) {
    case 'incident:new':
      return {
        actor: 'system',
        action: 'incident.open',
        target,
        detail: {
          site: row.site,
          jurisdiction: row.jurisdiction,
          rule: row.payload['rule'],
          priority: row.payload['priority'],
          ...(row.payload['eventKey'] ? { event: row.payload['eventKey'] } : {}),
        },
      };
    case 'incident:update':
      return changeEntry(target, row.payload['change'] as IncidentChange);
    // The escalation is audited once, as its incident:update row; other topics are not changes.
    default:
      return undefined;
  }
}

/**
 * Every incident change into the hash-chained audit log, a batch per transaction, from its own
 * cursor: a slow disk makes audit lag, never an alarm wait. The cursor is saved in the same
 * transaction as the entries, so a batch handled again after a crash is not appended twice.
 */
export function auditSink(audit: AuditLog): OutboxSink {
  return {
    name: 'audit',
    durable: true,
    exclusive: true,
    storesCursor: true,
    batch: 256,
    // One chained transaction per batch: a busy minute's changes are audited a quarter second late,
    // several to a transaction, instead of one transaction (and fsync pressure) per change.
    pauseMs: 250,
    async handle(rows) {
      if (rows.length === 0) return;
      // `MAX_LIST` entries to a transaction, with a turn of the event loop between: on SQLite each
      // append holds the alarm thread, and a panic arriving meanwhile waits for one slice, not for
      // the batch (up to 4.5 ms, stop 32). Each slice saves the cursor at its last row, so a crash
      // between slices resumes after the slices already appended.
      let entries: OutboxAuditEntry[] = [];
      let slices = 0;
      for (const [i, row] of rows.entries()) {
        const e = auditEntryOf(row);
        if (e) entries.push({ ...e, outboxSeq: row.seq });
        if (entries.length < MAX_LIST && i < rows.length - 1) continue;
        if (slices++ > 0) await nextTurn();
        // appendMany skips what the stored cursor already passed, under the chain's lock.
        await audit.appendMany(entries, { sink: 'audit', seq: row.seq });
        entries = [];
      }
    },
  };
}
