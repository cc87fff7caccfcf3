import type { Migration } from './index.js';

/**
 * Issue 19: the monthly site ratings as published. One row per (month, site) written once when the
 * month is over, with the measures and the reasons it got its colour, the month before and how many
 * months in a row it has been red, and red or yellow. `rating_months` says a month is rated (its key
 * makes two service nodes rate a month once).
 */
export const ratings: Migration = {
  version: 91,
  name: 'ratings',
  sql: `
    CREATE TABLE rating_months (
      month TEXT PRIMARY KEY,
      timezone TEXT NOT NULL,
      rules_hash TEXT NOT NULL,
      sites INTEGER NOT NULL,
      computed_at TEXT NOT NULL
    );

    CREATE TABLE rating_history (
      month TEXT NOT NULL,
      site TEXT NOT NULL,
      jurisdiction TEXT NOT NULL,
      kind TEXT NOT NULL,
      rating TEXT NOT NULL,
      previous TEXT,
      red_streak INTEGER NOT NULL,
      alert_streak INTEGER NOT NULL,
      flagged INTEGER NOT NULL,
      partial INTEGER NOT NULL,
      since_ms INTEGER,
      measures TEXT NOT NULL,
      reasons TEXT NOT NULL,
      computed_at TEXT NOT NULL,
      PRIMARY KEY (month, site)
    );
    CREATE INDEX rating_history_site ON rating_history(site, month);
  `,
};
