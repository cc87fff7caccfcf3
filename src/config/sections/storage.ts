import { z } from 'zod';

export const storageSchema = z
  .strictObject({
    dataDir: z.string().default('./data').describe('Directory for the SQLite file, keys and recordings.'),
  })
  .describe('Where the service keeps its state.');
