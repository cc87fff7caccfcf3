import { hostname } from 'node:os';
import { z } from 'zod';

/** This node's default id: unique per process on one machine, readable in logs and the leases table. */
export const defaultNodeId = (): string => `${hostname()}-${process.pid}`;

export const clusterSchema = z
  .strictObject({
    nodeId: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[\w.:-]+$/, 'letters, digits, . _ : - only')
      .optional()
      .describe('This node in the leases table (default: hostname-pid).'),
    leaseSeconds: z
      .number()
      .min(2)
      .max(300)
      .default(10)
      .describe(
        'How long a lease (a timer, a camera, a node) lasts unless renewed; a dead node’s work moves within about this time.',
      ),
  })
  .describe('Several identical nodes on one PostgreSQL: who runs which timer and records which camera.');

export const realtimeSchema = z
  .strictObject({
    redis: z
      .string()
      .min(1)
      .optional()
      .describe(
        'redis://host:port: the Socket.IO Redis adapter, so /ops and /live reach sockets on every node.',
      ),
  })
  .describe('Socket.IO across nodes.');
