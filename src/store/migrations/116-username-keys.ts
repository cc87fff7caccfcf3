import { usernameKey } from '../username-key.js';
import type { Migration } from './index.js';

/**
 * A username's identity (`username_key`, src/store/username-key.ts: NFKC and case folded, computed in
 * JavaScript), unique, so `Émile` and `émile` or `ｗａｎｇ` and `wang` are one name on SQLite and
 * PostgreSQL alike, and two admins adding them at once cannot both succeed. Users already stored under
 * one key (possible before: SQLite's lower() folds ASCII only, nothing folded width) keep their names,
 * passwords and sessions: the oldest (lowest id) holds the key, the later ones keep none (NULL, which a
 * unique index lets repeat), log in by their exact names as before, and no new name may join them.
 */
export const usernameKeys: Migration = {
  version: 116,
  name: 'username-keys',
  // Not `users_username_key`: PostgreSQL gave that name to the UNIQUE of `username` (migration 1).
  sql: `
    ALTER TABLE users ADD COLUMN username_key TEXT;
    CREATE UNIQUE INDEX users_username_key_unique ON users(username_key);
  `,
  fill: {
    select: 'SELECT id, username FROM users ORDER BY id',
    update: 'UPDATE users SET username_key = ? WHERE id = ?',
    rows: (users) => {
      const taken = new Set<string>();
      const out: unknown[][] = [];
      for (const u of users) {
        const key = usernameKey(String(u['username']));
        if (taken.has(key)) continue;
        taken.add(key);
        out.push([key, u['id']]);
      }
      return out;
    },
  },
};
