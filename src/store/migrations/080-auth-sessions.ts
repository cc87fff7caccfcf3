import type { Migration } from './index.js';

/**
 * Issue 15, sessions that can be watched and revoked: each session gets a public reference (`ref`,
 * what signed media URLs and open sockets are bound to; the token hash never leaves the server) and
 * the address it logged in from; users get when they were disabled, changed their password and last
 * logged in; `auth_keys` holds the HMAC key of signed media URLs, shared by every node of a city.
 * SQLite dialect (randomblob); the PostgreSQL migration fills `ref` with gen_random_uuid().
 */
export const authSessions: Migration = {
  version: 80,
  name: 'auth-sessions',
  sql: `
    ALTER TABLE sessions ADD COLUMN ref TEXT;
    ALTER TABLE sessions ADD COLUMN address TEXT;
    UPDATE sessions SET ref = lower(hex(randomblob(16))) WHERE ref IS NULL;
    CREATE UNIQUE INDEX sessions_ref ON sessions(ref);
    CREATE INDEX sessions_user ON sessions(user_id);
    ALTER TABLE users ADD COLUMN disabled_at TEXT;
    ALTER TABLE users ADD COLUMN password_changed_at TEXT;
    ALTER TABLE users ADD COLUMN last_login_at TEXT;
    CREATE TABLE auth_keys (
      name TEXT PRIMARY KEY,
      secret TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
  `,
  postgres: `
    ALTER TABLE sessions ADD COLUMN ref TEXT;
    ALTER TABLE sessions ADD COLUMN address TEXT;
    UPDATE sessions SET ref = replace(gen_random_uuid()::text, '-', '') WHERE ref IS NULL;
    CREATE UNIQUE INDEX sessions_ref ON sessions(ref);
    CREATE INDEX sessions_user ON sessions(user_id);
    ALTER TABLE users ADD COLUMN disabled_at TEXT;
    ALTER TABLE users ADD COLUMN password_changed_at TEXT;
    ALTER TABLE users ADD COLUMN last_login_at TEXT;
    CREATE TABLE auth_keys (
      name TEXT PRIMARY KEY,
      secret TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
  `,
};
