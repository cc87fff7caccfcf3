import { z } from 'zod';

/** Correlation rules (issue: event core). Evaluated in order; the first that matches decides. */
export const ruleSchema = z.strictObject({
  name: z.string().min(1).describe('Recorded on the incidents the rule opens.'),
  match: z.array(z.string()).min(1).describe('Event types this rule applies to.'),
  action: z.enum(['open', 'open_unconfirmed', 'maintenance', 'close_maintenance', 'site_state', 'ignore']),
  priority: z.number().int().min(1).max(4).default(1),
  confirmWindowSeconds: z.number().int().positive().optional(),
});
export type RuleConfig = z.infer<typeof ruleSchema>;

export const rulesSchema = z
  .array(ruleSchema)
  .optional()
  .describe('Correlation rules; built-in defaults if omitted.');
