import type { Migration } from './index.js';

/** Operator console (issue 8): each user's console preferences, so they follow them from desk to desk. */
export const consolePrefs: Migration = {
  version: 60,
  name: 'console-prefs',
  sql: `
    CREATE TABLE console_prefs (
      user_id INTEGER PRIMARY KEY,
      prefs TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
  `,
};
