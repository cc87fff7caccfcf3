import type { Migration } from './index.js';

/**
 * GET /api/notices/sent reads a viewer's subtree's latest notices (`sender_scope IN (…)`, newest first
 * by sent_ms then id): by this index, a station reads its own few notices instead of walking every
 * notice the city ever sent back through `notices_sent` until it has found enough, or until none is left.
 */
export const noticesSender: Migration = {
  version: 117,
  name: 'notices-sender',
  sql: `
    CREATE INDEX notices_sender ON notices(sender_scope, sent_ms, id);
  `,
};
