import type { Migration } from './index.js';

/** Issue 17: a panel's recent events counted by device and time (runaway onset and clearance). */
export const eventsDeviceTime: Migration = {
  version: 104,
  name: 'events-device-time',
  sql: `CREATE INDEX events_device_time ON events(device, received_at);`,
};
