import { z } from 'zod';
import { CAMERA_EVENT_TYPES, PANEL_EVENT_TYPES, SCHEDULE_EVENT_TYPES } from '../../core/events.js';
import { idSchema } from './jurisdictions.js';

/** What a step asks of the operator; the console names each kind in the user's language. */
export const STEP_KINDS = [
  'review_video',
  'call_site',
  'call_keyholder',
  'forward_station',
  'dispatch',
  'notify_owner',
  'custom',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** The outcomes a step of each kind may record (a configured step may name its own). */
export const DEFAULT_OUTCOMES: Record<StepKind, readonly string[]> = {
  review_video: ['person_seen', 'nothing_seen', 'no_video'],
  call_site: ['reached', 'no_answer', 'busy', 'wrong_number'],
  call_keyholder: ['reached', 'no_answer', 'busy', 'wrong_number'],
  forward_station: ['forwarded', 'not_needed'],
  dispatch: ['dispatched', 'not_needed'],
  notify_owner: ['notified', 'not_needed'],
  custom: ['done', 'skipped'],
};

const outcomeSchema = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an outcome of a-z, 0-9 and "_" (max 40)');

export const planStepSchema = z.strictObject({
  id: idSchema.describe('Step id, unique in its plan; POST /api/incidents/:id/steps/:stepId names it.'),
  kind: z.enum(STEP_KINDS).default('custom').describe('What the step asks for.'),
  text: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("What the operator reads; the kind's name in the user's language when omitted."),
  required: z.boolean().default(true).describe('A required step must have an outcome before resolving.'),
  outcomes: z.array(outcomeSchema).min(1).optional().describe("Allowed outcomes; the kind's when omitted."),
});
export type PlanStepConfig = z.infer<typeof planStepSchema>;

export const actionPlanSchema = z
  .strictObject({
    name: z.string().min(1).max(64).describe('Recorded on the incident as plan.name.'),
    match: z
      .strictObject({
        types: z
          .array(z.enum([...PANEL_EVENT_TYPES, ...CAMERA_EVENT_TYPES, ...SCHEDULE_EVENT_TYPES]))
          .min(1)
          .optional()
          .describe('Type of the event that opened the incident.'),
        siteKinds: z
          .array(z.enum(['shop', 'school', 'bank', 'household', 'hospital', 'office', 'other']))
          .min(1)
          .optional(),
        priorities: z.array(z.number().int().min(1).max(4)).min(1).optional(),
        kinds: z
          .array(z.enum(['alarm', 'maintenance']))
          .min(1)
          .optional(),
      })
      .default({})
      .describe('Every listed criterion must hold; the plan naming the most criteria wins.'),
    steps: z.array(planStepSchema).min(1).max(30),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.steps.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${s.id}"` });
      seen.add(s.id);
    });
  });
export type ActionPlanConfig = z.infer<typeof actionPlanSchema>;

export const actionPlansSchema = z
  .array(actionPlanSchema)
  .optional()
  .describe(
    'Action plans (issue 17): chosen by event type, site kind, priority and incident kind, the most ' +
      'specific first; the built-in plans per alarm type (src/workflow/plans/default-plans.ts) when ' +
      'omitted or when none matches.',
  );
