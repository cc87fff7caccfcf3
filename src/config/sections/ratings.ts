import { z } from 'zod';
import { CAMERA_EVENT_TYPES, PANEL_EVENT_TYPES } from '../../core/events.js';

/** Site kinds of `sites[].kind`, and `default` for the kinds without thresholds of their own. */
const SITE_KINDS = ['shop', 'school', 'bank', 'household', 'hospital', 'office', 'other'] as const;

/**
 * Measures every rating has, whatever the configuration counts (a site's month, in the rating zone):
 * alarms opened, of them closed as false alarms, maintenance tickets opened, tickets still open at the
 * month's end (or now, for the running month) and the age in hours of the oldest of those.
 */
export const BUILT_IN_MEASURES = [
  'alarms',
  'falseAlarms',
  'troubleTickets',
  'openTickets',
  'oldestOpenTicketHours',
] as const;

const measureName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'a name of letters, digits and "_" (max 32)');

const countSchema = z.strictObject({
  kind: z
    .enum(['alarm', 'maintenance'])
    .default('alarm')
    .describe('Alarm incidents or maintenance (trouble) tickets.'),
  types: z
    .array(z.enum([...PANEL_EVENT_TYPES, ...CAMERA_EVENT_TYPES]))
    .optional()
    .describe('Types of the event that opened the incident; every type when omitted.'),
  outcomes: z
    .array(z.enum(['confirmed', 'unconfirmed', 'false_alarm']))
    .optional()
    .describe(
      'confirmed: confirmed (by its type, a second zone, a camera or an operator) and not closed as a false ' +
        'alarm; unconfirmed: neither; false_alarm: closed as one. Every outcome when omitted.',
    ),
  priorities: z
    .array(z.number().int().min(1).max(4))
    .optional()
    .describe('Priorities counted; all when omitted.'),
});
export type RatingCount = z.infer<typeof countSchema>;

const levelSchema = z
  .record(measureName, z.number().min(0))
  .describe('Measure → threshold: the level is reached when any measure is at or above its threshold.');

const kindThresholds = z.strictObject({
  red: levelSchema.optional().describe('Thresholds for red (警示); replaces the default red when given.'),
  yellow: levelSchema
    .optional()
    .describe('Thresholds for yellow (预警); replaces the default yellow when given.'),
});

const DEFAULT_COUNTS: Record<string, RatingCount> = {
  // Property crime confirmed at the site: the 三色管理 practice rates compounds and shops by these.
  propertyCrime: { kind: 'alarm', types: ['intrusion', 'panic', 'duress'], outcomes: ['confirmed'] },
};

const DEFAULT_THRESHOLDS = {
  default: {
    red: { propertyCrime: 3, falseAlarms: 3, oldestOpenTicketHours: 72 },
    yellow: { propertyCrime: 1, falseAlarms: 1, troubleTickets: 3, openTickets: 1 },
  },
};

/**
 * The monthly green/yellow/red rating of sites (issue 19): which incidents count, the thresholds per
 * kind of site, the zone whose calendar months are rated, and when consecutive months are flagged.
 */
export const ratingsSchema = z
  .strictObject({
    timezone: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          // Intl throws RangeError for a zone it does not know; that is the answer, not a failure.
          return false;
        }
      }, 'an IANA time zone such as Asia/Shanghai')
      .describe('Months (and the report days and hours) are calendar months of this zone.'),
    counts: z
      .record(measureName, countSchema)
      .default(DEFAULT_COUNTS)
      .describe('Named counts of a site’s incidents in the month, used as measures by the thresholds.'),
    thresholds: z
      .partialRecord(z.enum(['default', ...SITE_KINDS]), kindThresholds)
      .default(DEFAULT_THRESHOLDS)
      .describe('Per kind of site (`default` for the others): red first, then yellow, else green.'),
    flagAfterMonths: z
      .number()
      .int()
      .min(2)
      .max(12)
      .default(2)
      .describe('A site red or yellow this many months in a row is flagged (连续预警).'),
    checkSeconds: z
      .number()
      .min(1)
      .max(3600)
      .default(60)
      .describe('How often the month-end check runs (a month is rated once, by the first check after it).'),
    backfillMonths: z
      .number()
      .int()
      .min(0)
      .max(36)
      .default(12)
      .describe('Finished months rated at start when no history holds them (a new installation).'),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    const known = new Set<string>([...BUILT_IN_MEASURES, ...Object.keys(r.counts)]);
    for (const name of Object.keys(r.counts))
      if ((BUILT_IN_MEASURES as readonly string[]).includes(name))
        ctx.addIssue({
          code: 'custom',
          path: ['counts', name],
          message: `"${name}" is a built-in measure; choose another name`,
        });
    for (const [kind, levels] of Object.entries(r.thresholds))
      for (const level of ['red', 'yellow'] as const)
        for (const m of Object.keys(levels?.[level] ?? {}))
          if (!known.has(m))
            ctx.addIssue({
              code: 'custom',
              path: ['thresholds', kind, level, m],
              message: `unknown measure "${m}": one of ${[...known].join(', ')}`,
            });
  })
  .describe('Monthly site rating rules (issue 19).');
export type RatingsConfig = z.infer<typeof ratingsSchema>;
