import type { Migration } from './index.js';

/** Issue 13: a command carries its expiry, so a panel that reconnects hours later does not obey it. */
export const panelCommandExpiry: Migration = {
  version: 22,
  name: 'panel-command-expiry',
  sql: 'ALTER TABLE panel_commands ADD COLUMN expires_at TEXT;',
};
