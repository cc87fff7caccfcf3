import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log.js';
import { openStoreReadonly, sqliteFile } from '../store/open.js';
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
    // The data dir alone is enough: without --config, do not require a readable demo config.
    const storage =
      values['data-dir'] && !values.config
        ? { dataDir: values['data-dir'], database: { kind: 'sqlite' as const } }
        : configFrom(values).config.storage;
    const where = storage.database.kind === 'postgres' ? 'PostgreSQL' : sqliteFile(storage.dataDir);
    const store = await openStoreReadonly(storage);
    try {
      const audit = new AuditLog(store.k, store.dialect);
      const result = await audit.verify();
      if (result.ok) {
        process.stdout.write(`audit log intact: ${result.rows} rows (${where})\n`);
        return 0;
      }
      const row = await audit.row(result.seq);
      process.stdout.write(
        `audit log BROKEN at row ${result.seq}: ${result.reason}\n${row ? `  row: ${JSON.stringify(row)}\n` : ''}`,
      );
      return 1;
    } finally {
      await store.close();
    }
  },
};
