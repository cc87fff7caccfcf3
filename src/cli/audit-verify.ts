import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { AuditLog } from '../audit/audit-log.js';
import { commonOptions, configFrom, type Verb } from './common.js';

/**
 * `sharpeyes audit verify`: walks the hash chain of the audit log read-only. Exit 0 when every row
 * links to the one before and hashes to what it says; else prints the first broken link, exit 1.
 */
export const auditVerifyVerb: Verb = {
  name: 'audit verify',
  summary: 'check the hash chain of the audit log; prints the first broken link',
  usage: 'audit verify [--config F] [--data-dir D]',
  async run(args) {
    const { values } = parseArgs({ args, options: { ...commonOptions }, strict: true });
    // The data dir alone is enough: without --config, do not require a readable demo config.
    const dataDir = values['data-dir'] ?? configFrom(values).config.storage.dataDir;
    const file = join(dataDir, 'sharpeyes.db');
    if (!existsSync(file)) throw new Error(`no database at ${file}`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const result = new AuditLog(db).verify();
      if (result.ok) {
        process.stdout.write(`audit log intact: ${result.rows} rows (${file})\n`);
        return 0;
      }
      const row = db
        .prepare('SELECT seq, at, actor, action, target FROM audit_log WHERE seq = ?')
        .get(result.seq) as Record<string, unknown> | undefined;
      process.stdout.write(
        `audit log BROKEN at row ${result.seq}: ${result.reason}\n${row ? `  row: ${JSON.stringify(row)}\n` : ''}`,
      );
      return 1;
    } finally {
      db.close();
    }
  },
};
