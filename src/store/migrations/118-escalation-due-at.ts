import type { Migration } from './index.js';

/**
 * When an escalation step fell due by the policy (the incident's opening plus the step's
 * `afterSeconds`), beside `at`, when it was taken: hours apart for a step that fell due while the
 * service was stopped and was taken at the restart. Steps recorded before have none (NULL): their due
 * time was not kept, and `at` is all an incident read back says of them.
 */
export const escalationDueAt: Migration = {
  version: 118,
  name: 'escalation-due-at',
  sql: 'ALTER TABLE escalations ADD COLUMN due_at TEXT;',
};
