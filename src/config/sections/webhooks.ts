import { z } from 'zod';

export const WEBHOOK_EVENTS = ['incident:new', 'incident:update', 'incident:escalated'] as const;

export const webhookSchema = z.strictObject({
  url: z.url().describe('Endpoint of the third-party dispatch system (http or https).'),
  secret: z.string().min(16).describe('HMAC-SHA256 key for the X-Sharpeyes-Signature header; use ${ENV}.'),
  events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .min(1)
    .default([...WEBHOOK_EVENTS])
    .describe('Which events are sent.'),
  maxAttempts: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Attempts per delivery before it is dead-lettered; unlimited within maxAgeSeconds when omitted.',
    ),
  maxAgeSeconds: z
    .number()
    .int()
    .min(1)
    .default(86_400)
    .describe('A delivery not accepted this long after the change is dead-lettered (state failed).'),
  initialBackoffMs: z
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('Wait before the 2nd attempt; doubles each time up to maxBackoffMs, with jitter.'),
  maxBackoffMs: z.number().int().min(1).default(300_000).describe('Longest wait between two attempts.'),
  timeoutMs: z.number().int().min(100).default(10_000).describe('Per attempt.'),
});
export type WebhookConfig = z.infer<typeof webhookSchema>;

export const webhooksSchema = z
  .array(webhookSchema)
  .default([])
  .describe('Signed webhooks for third-party dispatch systems.');
