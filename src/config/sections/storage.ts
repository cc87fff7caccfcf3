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

/**
 * Devices lost together (`src/health/lost-together.ts`): within `minutes`, at least so many of them
 * (`panels`, `cameras`) and `share` of all are a yellow trouble of the receiver, `badShare` a red one.
 */
const together = (noun: string, began: string, cause: string) => ({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(120)
    .default(10)
    .describe(`${began} within this many minutes of one another count together…`),
  least: z
    .number()
    .int()
    .min(2)
    .default(10)
    .describe(
      `…and at least this many of them, and at least \`share\` of all ${noun}, are one trouble of the receiver…`,
    ),
  share: z.number().gt(0).max(1).default(0.05),
  badShare: z
    .number()
    .gt(0)
    .max(1)
    .default(0.25)
    .describe(`…a red one from this share of all ${noun} (${cause}).`),
});
const sharesInOrder = {
  check: (m: { share: number; badShare: number }) => m.badShare >= m.share,
  message: { message: 'badShare must be at least share', path: ['badShare'] },
};

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
        'How often each node checks its own health and tells every desk when a trouble of the receiver begins or ends (the database, an outbox sink failing or behind, slow decisions, recording failing or short of room, panels lost together).',
      ),
    panelsLostTogether: (() => {
      const { least, ...rest } = together(
        'panels',
        'Panels whose silences began',
        'a network, carrier or uplink fault, not the sites',
      );
      return z
        .strictObject({ ...rest, panels: least })
        .prefault({})
        .refine(sharesInOrder.check, sharesInOrder.message);
    })().describe(
      'Many panels losing communication together: one trouble on every desk (the network, a carrier or the receiver’s link), beside each site’s own ticket.',
    ),
    camerasLostTogether: (() => {
      const { least, ...rest } = together(
        'cameras',
        'Cameras (that had delivered video) whose losses began',
        'a network, switch or uplink fault, not the cameras',
      );
      return z
        .strictObject({ ...rest, cameras: least })
        .prefault({})
        .refine(sharesInOrder.check, sharesInOrder.message);
    })().describe(
      'Many cameras losing video together: one trouble on every desk (the network, a switch or the receiver’s link), beside each site’s own video-loss ticket.',
    ),
  })
  .describe('Where the service keeps its state.');
