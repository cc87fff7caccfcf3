import type { Migration } from './index.js';

/**
 * Failed logins counted over every node of a city on PostgreSQL without Redis
 * (`src/auth/store-throttle.ts`): one row a key (a username at an address, or an address), its
 * failures in a fixed window that ends at `window_end_ms`. Rows of windows over are purged; the
 * index finds them.
 */
export const loginFailures: Migration = {
  version: 119,
  name: 'login-failures',
  sql: `
    CREATE TABLE login_failures (
      key TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      window_end_ms INTEGER NOT NULL
    );
    CREATE INDEX login_failures_window_end ON login_failures(window_end_ms);
  `,
};
