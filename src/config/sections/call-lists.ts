import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

export const callContactSchema = z.strictObject({
  name: z.string().min(1).max(64),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 -]{2,23}$/, 'a phone number of digits, spaces and "-" (an optional leading +)'),
  role: z
    .string()
    .max(32)
    .optional()
    .describe('owner, manager, keyholder, guard...; keyholder answers call_keyholder steps.'),
  email: z.email().optional().describe('Where email notifications go.'),
  notify: z
    .boolean()
    .default(false)
    .describe('Receives notifications by the notifier rules (SMS to the phone, email to the address).'),
  channels: z
    .array(idSchema)
    .min(1)
    .optional()
    .describe('Only these notifier channels (ids); all when omitted.'),
});
export type CallContact = z.infer<typeof callContactSchema>;

export const callListsSchema = z
  .record(idSchema, z.array(callContactSchema).min(1).max(20))
  .default({})
  .describe(
    'Call lists by site id (issue 17), in the order the operator calls them; a site without one uses its `contacts`.',
  );
