import { z } from 'zod';

/** Notices with receipts (issue 19): when the silent are reminded, and when they are listed city-wide. */
export const noticesSchema = z
  .strictObject({
    receiptMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(5)
      .describe('A node that has not confirmed a notice by then is reminded (a notice may set its own).'),
    listMinutes: z
      .number()
      .int()
      .min(1)
      .max(10080)
      .default(30)
      .describe('Nodes still silent by then are listed city-wide (never before the reminder).'),
    plateValidHours: z
      .number()
      .min(1)
      .max(24 * 90)
      .default(72)
      .describe('How long a plate notice keeps its plate on the checkpoint watchlist by default.'),
    checkSeconds: z.number().min(0.1).max(60).default(2).describe('How often due reminders are looked for.'),
  })
  .prefault({})
  .describe('Notices sent to jurisdiction nodes, with receipts, reminders and the list of the silent.');
export type NoticesConfig = z.infer<typeof noticesSchema>;
