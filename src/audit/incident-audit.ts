import { createHash } from 'node:crypto';
import type { AuditLog } from './audit-log.js';

/**
 * Appends `config.change` when the configuration differs from the one the last start recorded
 * (only its SHA-256 is stored: the config holds secrets).
 */
export async function auditConfigChange(
  audit: AuditLog,
  config: unknown,
  file: string | undefined,
): Promise<boolean> {
  const sha256 = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  const [last] = await audit.list({ action: 'config.change', limit: 1 });
  const previous = last?.detail?.['sha256'];
  if (previous === sha256) return false;
  await audit.append({
    actor: 'system',
    action: 'config.change',
    target: 'config',
    detail: { sha256, ...(typeof previous === 'string' ? { previous } : {}), ...(file ? { file } : {}) },
  });
  return true;
}
