import type { Migration } from './index.js';

/** Live video wall (issue 7): each operator's wall layout, saved server-side so it follows them. */
export const live: Migration = {
  version: 50,
  name: 'live',
  sql: `
    CREATE TABLE wall_layouts (
      user_id INTEGER PRIMARY KEY,
      layout TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
  `,
};
