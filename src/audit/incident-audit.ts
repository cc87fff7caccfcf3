import { createHash } from 'node:crypto';
import type { Bus, IncidentChange } from '../bus.js';
import type { Incident } from '../core/incident-types.js';
import type { AuditEntry, AuditLog } from './audit-log.js';

function entryFor(inc: Incident, change: IncidentChange): AuditEntry {
  const target = `incident:${inc.id}`;
  switch (change.kind) {
    case 'transition': {
      const note = inc.transitions.at(-1)?.note;
      return {
        actor: change.by,
        action: `incident.${change.to}`,
        target,
        detail: { from: change.from, ...(note ? { note } : {}) },
      };
    }
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
          ...(inc.confirmedBy ? { confirmedBy: inc.confirmedBy } : {}),
        },
      };
    case 'escalation':
      return {
        actor: 'system',
        action: 'incident.escalation',
        target,
        detail: { step: change.step, jurisdiction: change.jurisdiction },
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
  }
}

/**
 * Every incident change goes into the hash-chained audit log. The bus is synchronous and so is the
 * append, so the row is on disk before the change is answered to the operator who made it.
 */
export function attachIncidentAudit(bus: Bus, audit: AuditLog): () => void {
  const offNew = bus.on('incident:new', (inc) =>
    audit.append({
      actor: 'system',
      action: 'incident.open',
      target: `incident:${inc.id}`,
      detail: { site: inc.site, jurisdiction: inc.jurisdiction, rule: inc.rule, priority: inc.priority },
    }),
  );
  const offUpdate = bus.on('incident:update', (inc, change) => audit.append(entryFor(inc, change)));
  return () => {
    offNew();
    offUpdate();
  };
}

/**
 * Appends `config.change` when the configuration differs from the one the last start recorded
 * (only its SHA-256 is stored: the config holds secrets).
 */
export function auditConfigChange(audit: AuditLog, config: unknown, file: string | undefined): boolean {
  const sha256 = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  const [last] = audit.list({ action: 'config.change', limit: 1 });
  const previous = last?.detail?.['sha256'];
  if (previous === sha256) return false;
  audit.append({
    actor: 'system',
    action: 'config.change',
    target: 'config',
    detail: { sha256, ...(typeof previous === 'string' ? { previous } : {}), ...(file ? { file } : {}) },
  });
  return true;
}
