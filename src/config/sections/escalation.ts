import { z } from 'zod';

const step = z.strictObject({
  afterSeconds: z.number().int().positive().describe('Seconds after the incident opened, unacknowledged.'),
  action: z
    .enum(['reannounce', 'escalate'])
    .describe('Re-announce at the same desks, or escalate to a higher node.'),
  to: z
    .enum(['parent', 'root'])
    .default('parent')
    .describe('escalate: the parent of the last node notified, or the root (city centre).'),
});
export type EscalationStepConfig = z.infer<typeof step>;

export const escalationSchema = z
  .strictObject({
    P1: z.array(step).optional(),
    P2: z.array(step).optional(),
    P3: z.array(step).optional(),
    P4: z.array(step).optional(),
    checkSeconds: z
      .number()
      .positive()
      .default(1)
      .describe('How often the escalation maintainer looks for due steps.'),
  })
  .default({ checkSeconds: 1 })
  .describe(
    'Escalation steps per priority for unacknowledged incidents; a priority left out uses the defaults ' +
      '(P1: 300 s re-announce + parent, 1800 s root; P2: 600 s / 3600 s; P3, P4: none).',
  );
