import type { Migration } from './index.js';

export const audit: Migration = {
  version: 2,
  name: 'audit',
  sql: `
    CREATE TABLE audit_log (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      detail TEXT,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
    CREATE INDEX audit_log_target ON audit_log(target);
    CREATE INDEX audit_log_action_at ON audit_log(action, at);
  `,
};
