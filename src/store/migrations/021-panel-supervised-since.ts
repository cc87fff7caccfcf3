import type { Migration } from './index.js';

/**
 * When supervision of a never-seen panel began: its deadline runs from here, and `last_seen` stays
 * empty until the panel really speaks (an operator must not read a start-up time as "last seen").
 */
export const panelSupervisedSince: Migration = {
  version: 21,
  name: 'panel-supervised-since',
  sql: 'ALTER TABLE panel_state ADD COLUMN supervised_since TEXT;',
};
