import type { Migration } from './index.js';

/**
 * 系统状态's history: one row a minute for each node, what `/api/health` said of that minute (the
 * alarm path's committed events and their senders' waits, the outbox sinks, panels and cameras), and
 * how long the alarm thread was held (its event loop's delay, p99 and worst); `started` is 1 in the
 * minute the node started (its first minutes hold the thread for its own start).
 * `minute` is the epoch milliseconds the minute starts at. A minute with no row is a minute the node
 * was not running. Kept `storage.systemHistoryDays`.
 */
export const systemMinutes: Migration = {
  version: 113,
  name: 'system-minutes',
  sql: `
    CREATE TABLE system_minutes (
      minute INTEGER NOT NULL,
      node TEXT NOT NULL,
      committed INTEGER NOT NULL,
      wait_p50_ms REAL NOT NULL,
      wait_p99_ms REAL NOT NULL,
      wait_max_ms REAL NOT NULL,
      sinks_failing INTEGER NOT NULL,
      sinks_behind INTEGER NOT NULL,
      sinks_behind_seconds REAL NOT NULL,
      loop_p99_ms REAL NOT NULL,
      loop_max_ms REAL NOT NULL,
      started INTEGER NOT NULL,
      panels INTEGER,
      panels_online INTEGER,
      cameras INTEGER,
      cameras_up INTEGER,
      PRIMARY KEY (minute, node)
    );
  `,
};
