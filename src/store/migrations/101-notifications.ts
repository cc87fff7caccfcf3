import type { Migration } from './index.js';

/**
 * Issue 17: keyholder and owner notifications (email, SMS gateway, webhook), one row per recipient
 * and channel, sent and retried from here so a delivery survives a restart.
 */
export const notifications: Migration = {
  version: 101,
  name: 'notifications',
  sql: `
    CREATE TABLE notifications (
      id TEXT PRIMARY KEY,
      incident_id TEXT,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      reason TEXT NOT NULL,
      channel TEXT NOT NULL,
      kind TEXT NOT NULL,
      recipient TEXT NOT NULL,
      address TEXT NOT NULL,
      subject TEXT NOT NULL,
      body TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      next_attempt_at TEXT NOT NULL,
      last_attempt_at TEXT,
      last_error TEXT,
      finished_at TEXT,
      receipt TEXT
    );
    CREATE INDEX notifications_due ON notifications(state, next_attempt_at);
    CREATE INDEX notifications_incident ON notifications(incident_id);
  `,
};
