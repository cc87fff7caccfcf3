import { z } from 'zod';

const database = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('sqlite').describe('The embedded default: <dataDir>/sharpeyes.db.') }),
    z.strictObject({
      kind: z.literal('postgres'),
      url: z.string().min(1).describe('postgres://user:password@host:port/db; put the password in ${ENV}.'),
      poolSize: z.number().int().positive().default(10).describe('Connections this node keeps open.'),
    }),
  ])
  .default({ kind: 'sqlite' })
  .describe('Which database holds the state: SQLite (one node) or PostgreSQL (a city on several nodes).');

export const storageSchema = z
  .strictObject({
    dataDir: z.string().default('./data').describe('Directory for the SQLite file, keys and recordings.'),
    database,
    outboxKeepDays: z
      .number()
      .min(1)
      .max(3650)
      .default(7)
      .describe(
        'Days the alarm path’s outbox keeps rows every sink has handled (then purged hourly); a sink that is failing keeps them longer.',
      ),
    systemHistoryDays: z
      .number()
      .int()
      .min(1)
      .max(400)
      .default(31)
      .describe(
        'Days 系统状态 keeps its minute-by-minute history (the alarm path’s waits, the outbox sinks, panels and cameras online).',
      ),
    systemWatchSeconds: z
      .number()
      .min(1)
      .max(300)
      .default(5)
      .describe(
        'How often each node checks its own health and tells every desk when a trouble of the receiver begins or ends (the database, an outbox sink failing or behind, slow decisions, recording failing or short of room).',
      ),
  })
  .describe('Where the service keeps its state.');
