import type { Migration } from './index.js';

/**
 * How each reported incident was closed (migration 013's `transitions.outcome`, projected): the
 * monthly report counts closed alarms by outcome and by false-alarm cause. Null while open, and for
 * incidents closed without a code (all of them before the codes), which the report counts as such.
 */
export const reportOutcome: Migration = {
  version: 93,
  name: 'report-outcome',
  sql: `
    ALTER TABLE report_incidents ADD COLUMN outcome TEXT;
  `,
};
