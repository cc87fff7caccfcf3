import type { Migration } from './index.js';

/**
 * Issue 13: the open incidents alone, by site, kind and opening time. The decision reads a site's open
 * alarm (and the workflow the alarm's holder) for every alarm event; the older indexes led with the
 * site and then walked the site's whole history to find the open one, a cost that grew with every
 * incident the site ever had. Used by queries that write the open states as literals
 * (`stateIsOpen`, src/store/open-states.ts): a partial index is only chosen for a condition that
 * matches its own. The same DDL works on PostgreSQL.
 */
export const incidentsOpen: Migration = {
  version: 111,
  name: 'incidents-open',
  sql: `
    CREATE INDEX incidents_open ON incidents(site, kind, opened_at)
      WHERE state IN ('new', 'acknowledged', 'dispatched', 'on_scene');
  `,
};
