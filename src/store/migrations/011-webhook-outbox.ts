import type { Migration } from './index.js';

/**
 * Webhook outbox (issue 4): one row per (incident change, configured hook), written as the change is
 * published and retried from `next_attempt_at`, so deliveries survive a restart. The hook's secret
 * stays in the config; the row keeps only its URL and the exact body that is signed on every attempt.
 */
export const webhookOutbox: Migration = {
  version: 11,
  name: 'webhook-outbox',
  sql: `
    CREATE TABLE webhook_outbox (
      id TEXT PRIMARY KEY,
      hook TEXT NOT NULL,
      event TEXT NOT NULL,
      incident_id TEXT,
      site TEXT,
      jurisdiction TEXT,
      body TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      next_attempt_at TEXT NOT NULL,
      last_attempt_at TEXT,
      last_error TEXT,
      finished_at TEXT
    );
    CREATE INDEX webhook_outbox_due ON webhook_outbox(state, next_attempt_at);
    CREATE INDEX webhook_outbox_finished ON webhook_outbox(state, finished_at);
  `,
};
