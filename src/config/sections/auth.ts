import { z } from 'zod';

export const authSchema = z
  .strictObject({
    sessionTtlSeconds: z
      .number()
      .int()
      .positive()
      .default(12 * 3600)
      .describe('Login sessions expire after this.'),
    loginAttemptsPerMinute: z.number().int().positive().default(10).describe('Per username and address.'),
  })
  .prefault({})
  .describe('Operator console sessions.');
