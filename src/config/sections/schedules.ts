import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d';
const RANGE = `${TIME}-(?:${TIME}|24:00)`;
/** `closed`, or ranges `08:00-12:00,14:00-20:00`; an end before its start runs past midnight. */
export const hoursSchema = z
  .string()
  .regex(new RegExp(`^(?:closed|${RANGE}(?:,${RANGE})*)$`), 'hours as "closed" or "08:00-20:00[,…]"');

const dateSchema = z.iso.date().describe('A local date, YYYY-MM-DD.');

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const siteScheduleSchema = z.strictObject({
  hours: z
    .partialRecord(z.enum(WEEKDAYS), hoursSchema)
    .describe('Opening hours per weekday (local time); a day left out is closed.'),
  holidays: z.array(dateSchema).default([]).describe('Closed all day (besides the shared holidays).'),
  changes: z
    .array(
      z.strictObject({
        from: dateSchema,
        to: dateSchema.optional().describe('Last day (inclusive); `from` alone when omitted.'),
        hours: hoursSchema,
        reason: z.string().max(200).optional(),
      }),
    )
    .default([])
    .describe('Temporary changes; the desk may add more through the API.'),
  openEarlyMinutes: z
    .number()
    .int()
    .min(0)
    .max(240)
    .default(30)
    .describe('A disarm this long before opening is still expected.'),
  closeGraceMinutes: z
    .number()
    .int()
    .min(0)
    .max(240)
    .default(15)
    .describe('A site not armed this long after closing is late to close.'),
});
export type SiteScheduleConfig = z.infer<typeof siteScheduleSchema>;

export const testTimerSchema = z.strictObject({
  everyHours: z
    .number()
    .positive()
    .max(24 * 31)
    .describe('A `test` report is expected this often.'),
  graceMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(30),
});

export const schedulesSchema = z
  .strictObject({
    timezone: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => validZone(tz), 'an IANA time zone such as Asia/Shanghai')
      .describe('Time zone of every opening hour and date.'),
    holidays: z.array(dateSchema).default([]).describe('Public holidays: every scheduled site is closed.'),
    sites: z.record(idSchema, siteScheduleSchema).default({}).describe('Opening hours by site id.'),
    testTimers: z.record(idSchema, testTimerSchema).default({}).describe('Test timers by panel id.'),
    checkSeconds: z
      .number()
      .positive()
      .default(30)
      .describe('How often closing times and test timers are checked.'),
  })
  .prefault({})
  .describe('Issue 17: opening hours (unexpected opening, late to close) and panel test timers.');
export type SchedulesConfig = z.infer<typeof schedulesSchema>;

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    // Intl throws RangeError for an unknown zone: that is the answer, not a failure.
    return false;
  }
}
