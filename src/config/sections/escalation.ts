import { z } from 'zod';

const step = z.strictObject({
  afterSeconds: z.number().int().positive().describe('Seconds after the incident opened, unacknowledged.'),
  action: z
    .enum(['reannounce', 'escalate'])
    .describe('Re-announce at the same desks, or go to the parent node.'),
});

export const escalationSchema = z
  .strictObject({
    P1: z.array(step).optional(),
    P2: z.array(step).optional(),
    P3: z.array(step).optional(),
    P4: z.array(step).optional(),
  })
  .default({})
  .describe('Escalation steps per priority for unacknowledged incidents.');
