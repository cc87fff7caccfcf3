import type { Migration } from './index.js';

/**
 * Issue 16, a city on several nodes: leases in the database. A row is a thing one node does at a
 * time (a timer, a camera, an outbox sink) or a node's own membership (`node:<id>`); `expires_at` is
 * epoch milliseconds. A node renews what it holds with a compare-and-set UPDATE; a lease not renewed
 * in time is taken over by another node.
 */
export const clusterLeases: Migration = {
  version: 110,
  name: 'cluster-leases',
  sql: `
    CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      acquired_at INTEGER NOT NULL
    );
    CREATE INDEX leases_holder ON leases(holder);
  `,
};
