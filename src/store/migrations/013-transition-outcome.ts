import type { Migration } from './index.js';

/**
 * How an alarm was closed (src/core/close-outcomes.ts): the outcome code of a move to `resolved`, the
 * cause of a move to `false_alarm`, written with the move in its transaction. Null for every other
 * move and for closings before the codes (or by a caller that sends none). The same DDL works on
 * PostgreSQL.
 */
export const transitionOutcome: Migration = {
  version: 13,
  name: 'transition-outcome',
  sql: `
    ALTER TABLE transitions ADD COLUMN outcome TEXT;
  `,
};
