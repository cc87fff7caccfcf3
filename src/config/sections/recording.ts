import { z } from 'zod';

export const storagePathSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .describe('Directory segments are written under (absolute, or relative to the cwd).'),
    maxBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Retention cap: the oldest unprotected segments go when the path holds more than this.'),
    cameras: z
      .array(z.string())
      .default([])
      .describe('Cameras recorded here; cameras named by no path go to the first one.'),
  })
  .describe('One storage path for segments.');

export const recordingSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Record every configured camera continuously.'),
    segmentSeconds: z
      .number()
      .min(1)
      .max(60)
      .default(4)
      .describe('Target segment length; a segment is cut at the first keyframe after this.'),
    retentionDays: z
      .number()
      .min(0.001)
      .max(3650)
      .default(14)
      .describe('Segments older than this are deleted.'),
    exportRetentionDays: z
      .number()
      .min(0.001)
      .max(3650)
      .default(30)
      .describe('Evidence export zips (and their rows) older than this are deleted, audited.'),
    paths: z
      .array(storagePathSchema)
      .default([])
      .describe('Storage paths; empty means one path `<dataDir>/recordings` without a byte cap.'),
    minFreeHours: z
      .number()
      .min(0)
      .max(48)
      .default(1)
      .describe('Emergency purge when the disk has room for less than this much recording.'),
    maintainSeconds: z.number().min(1).max(3600).default(60).describe('How often retention runs.'),
    timeZone: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          // Intl throws RangeError for an unknown zone: that is the answer, not a fault.
          return false;
        }
      }, 'an IANA time zone, e.g. Asia/Shanghai')
      .describe('Zone of the wall-clock track and chapter titles burnt into clips and exports.'),
    maxExportSeconds: z
      .number()
      .int()
      .min(1)
      .default(24 * 3600)
      .describe('Longest range one export or playback may ask for.'),
  })
  .describe('Continuous recording, retention and evidence export (issue 6).');

export type RecordingConfig = z.infer<typeof recordingSchema>;
