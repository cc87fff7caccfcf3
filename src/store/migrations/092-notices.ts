import type { Migration } from './index.js';

/**
 * Issue 19: notices with receipts. A notice goes to jurisdiction nodes; each node's row keeps when a
 * desk confirmed it, when it was reminded and when it was listed among the silent. `next_due_ms` is the
 * next reminder or listing still to happen (null when none), so the maintainer reads only what is due
 * and a restart derives every timer from stored times.
 */
export const notices: Migration = {
  version: 92,
  name: 'notices',
  sql: `
    CREATE TABLE notices (
      id TEXT PRIMARY KEY,
      sent_by TEXT NOT NULL,
      sender_scope TEXT NOT NULL,
      sent_at TEXT NOT NULL,
      sent_ms INTEGER NOT NULL,
      text TEXT NOT NULL,
      receipt_minutes INTEGER NOT NULL,
      list_minutes INTEGER NOT NULL,
      plate TEXT,
      plate_until_ms INTEGER,
      photo TEXT
    );
    CREATE INDEX notices_sent ON notices(sent_ms);
    CREATE INDEX notices_plate ON notices(plate_until_ms);

    CREATE TABLE notice_targets (
      notice_id TEXT NOT NULL,
      node TEXT NOT NULL,
      received_at TEXT,
      received_ms INTEGER,
      received_by TEXT,
      remind_due_ms INTEGER NOT NULL,
      list_due_ms INTEGER NOT NULL,
      reminded_ms INTEGER,
      listed_ms INTEGER,
      next_due_ms INTEGER,
      PRIMARY KEY (notice_id, node)
    );
    CREATE INDEX notice_targets_due ON notice_targets(next_due_ms);
    CREATE INDEX notice_targets_node ON notice_targets(node, received_ms);
  `,
};
