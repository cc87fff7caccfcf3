import type { Migration } from './index.js';

/**
 * Who took charge of a trouble of the receiver itself (`system:status`): a supervisor or admin
 * acknowledges it once, every desk sees by whom and when, and operators stop calling the duty
 * engineer about it. Keyed by the node, the trouble (`kind:name`) and when it began: the same trouble
 * beginning again is a new one, to be acknowledged again. The first acknowledgement stands.
 */
export const systemTroubleAcks: Migration = {
  version: 115,
  name: 'system-trouble-acks',
  sql: `
    CREATE TABLE system_trouble_acks (
      node TEXT NOT NULL,
      trouble TEXT NOT NULL,
      since TEXT NOT NULL,
      by_user TEXT NOT NULL,
      by_name TEXT NOT NULL,
      at TEXT NOT NULL,
      PRIMARY KEY (node, trouble, since)
    );
  `,
};
