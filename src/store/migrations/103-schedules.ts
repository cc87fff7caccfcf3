import type { Migration } from './index.js';

/**
 * Issue 17: temporary changes to a site's opening hours entered at the desk, and each panel's last
 * test report (the test timer runs from it).
 */
export const schedules: Migration = {
  version: 103,
  name: 'schedules',
  sql: `
    CREATE TABLE schedule_changes (
      id TEXT PRIMARY KEY,
      site TEXT NOT NULL,
      from_date TEXT NOT NULL,
      to_date TEXT NOT NULL,
      hours TEXT NOT NULL,
      reason TEXT NOT NULL,
      by_user TEXT NOT NULL,
      at TEXT NOT NULL,
      deleted_at TEXT
    );
    CREATE INDEX schedule_changes_site ON schedule_changes(site, to_date);

    CREATE TABLE panel_tests (
      panel TEXT PRIMARY KEY,
      last_test_at TEXT,
      watched_since TEXT NOT NULL,
      missed_for TEXT,
      updated_at TEXT NOT NULL
    );
  `,
};
