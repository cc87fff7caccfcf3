import { z } from 'zod';
import { CAMERA_EVENT_TYPES, PANEL_EVENT_TYPES, SCHEDULE_EVENT_TYPES } from '../../core/events.js';

/**
 * Correlation rules (issue 4). Evaluated in order; the first rule that matches the event and whose
 * condition holds decides. A rule whose condition fails (no open incident to join, nothing to confirm)
 * lets the next rule try.
 */
export const ruleSchema = z.strictObject({
  name: z.string().min(1).max(64).describe('Recorded on the incidents the rule opens or confirms.'),
  match: z
    .array(z.enum([...PANEL_EVENT_TYPES, ...CAMERA_EVENT_TYPES, ...SCHEDULE_EVENT_TYPES]))
    .min(1)
    .describe('Event types this rule applies to.'),
  action: z
    .enum([
      'open',
      'open_unconfirmed',
      'confirm',
      'join',
      'maintenance',
      'close_maintenance',
      'site_state',
      'ignore',
    ])
    .describe(
      'open: confirmed incident; open_unconfirmed: waits for sequential confirmation; confirm: a second ' +
        'zone, a linked camera or a communication loss within the window confirms an unconfirmed alarm; ' +
        'join: attach to the open alarm of the site; maintenance: open or join a trouble ticket; ' +
        'close_maintenance: a restore resolves the ticket; site_state: arm/disarm; ignore: store only.',
    ),
  priority: z
    .number()
    .int()
    .min(1)
    .max(4)
    .optional()
    .describe('Priority of what the rule opens (confirm: the priority it raises to). Default by action.'),
  detail: z
    .record(z.string().min(1).max(64), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe(
      'The rule applies only to events whose detail has these values (e.g. {watchlist: true} on plate).',
    ),
  confirmWindowSeconds: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('confirm: how long after the first alarm a confirming event still counts (default 1800).'),
});
export type RuleConfig = z.infer<typeof ruleSchema>;

export const rulesSchema = z
  .array(ruleSchema)
  .optional()
  .describe('Correlation rules; the built-in defaults (src/core/default-rules.ts) if omitted.');
