import { z } from 'zod';

/** How an alarm counts as confirmed in practice; each rule's `name` is written on the incident. */
export const CONFIRMATION_KINDS = [
  /** A second, different zone within the core's confirmation window (sequential confirmation). */
  'zones',
  /** A second detector technology: a linked camera's motion or person after a panel zone. */
  'technologies',
  /** The panel went silent after its alarm (a cut line). */
  'communication_loss',
  /** A panic whose call-back is not answered. */
  'panic_callback',
  /** Video review sees a person: the verification model, or the operator's review step. */
  'video_person',
] as const;
export type ConfirmationKind = (typeof CONFIRMATION_KINDS)[number];

export const confirmationRuleSchema = z.strictObject({
  name: z.string().min(1).max(64),
  kind: z.enum(CONFIRMATION_KINDS),
  unansweredCalls: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(1)
    .describe('panic_callback: call-backs not answered (no answer or busy) before it counts.'),
  minScore: z.number().min(0).max(1).default(0.5).describe('video_person: the least person score.'),
});
export type ConfirmationRule = z.infer<typeof confirmationRuleSchema>;

export const DEFAULT_CONFIRMATION: readonly ConfirmationRule[] = [
  { name: 'two-zones', kind: 'zones', unansweredCalls: 1, minScore: 0.5 },
  { name: 'two-technologies', kind: 'technologies', unansweredCalls: 1, minScore: 0.5 },
  { name: 'line-cut', kind: 'communication_loss', unansweredCalls: 1, minScore: 0.5 },
  { name: 'panic-callback', kind: 'panic_callback', unansweredCalls: 1, minScore: 0.5 },
  { name: 'video-person', kind: 'video_person', unansweredCalls: 1, minScore: 0.5 },
];

export const STORM_CATEGORIES = [
  'trouble',
  'unconfirmed_intrusion',
  'tamper',
  'schedule',
  'video_loss',
] as const;
export type StormCategory = (typeof STORM_CATEGORIES)[number];

export const workflowSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'false runs the bare queue: no plans, call lists, test mode, runaway or storm handling (what the workflow benchmark compares against).',
      ),
    confirmation: z
      .array(confirmationRuleSchema)
      .default([...DEFAULT_CONFIRMATION])
      .describe('Confirmation rules from practice; a kind left out confirms nothing by itself.'),
    forwardConfirmed: z
      .boolean()
      .default(true)
      .describe("A confirmed alarm is forwarded to its station's desk with the evidence at once."),
    testMode: z
      .strictObject({
        maxMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(480),
      })
      .prefault({}),
    runaway: z
      .strictObject({
        maxEvents: z.number().int().min(2).default(30).describe('More events than this within the window…'),
        windowSeconds: z.number().int().min(1).default(60).describe('…make the panel runaway.'),
        clearBelowEvents: z
          .number()
          .int()
          .min(0)
          .default(3)
          .describe('It clears when no more than this many arrive within clearSeconds.'),
        clearSeconds: z.number().int().min(1).default(300),
        reportSeconds: z.number().int().min(1).default(30).describe('How often the count is pushed.'),
      })
      .prefault({}),
    storm: z
      .strictObject({
        maxMinutes: z
          .number()
          .int()
          .min(1)
          .default(24 * 60),
      })
      .prefault({}),
    ownership: z
      .strictObject({
        followSite: z
          .boolean()
          .default(true)
          .describe("A new alarm of a site goes to the operator holding the site's open alarm."),
        takeOnAck: z.boolean().default(true).describe('Acknowledging an incident nobody holds takes it.'),
      })
      .prefault({}),
    checkSeconds: z
      .number()
      .positive()
      .default(1)
      .describe('How often test-mode ends, storms and runaway devices are checked.'),
  })
  .prefault({})
  .describe('Issue 17: confirmation, test mode, runaway panels, storm mode and ownership.');
export type WorkflowConfig = z.infer<typeof workflowSchema>;
