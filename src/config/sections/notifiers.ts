import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

const timeoutMs = z.number().int().min(100).max(120_000).default(10_000).describe('Per attempt.');

const emailChannel = z.strictObject({
  id: idSchema,
  kind: z.literal('email'),
  host: z.string().min(1).describe('SMTP server.'),
  port: z.number().int().min(1).max(65535).default(587),
  secure: z.boolean().default(false).describe('TLS from the start (465); otherwise STARTTLS when offered.'),
  requireTLS: z.boolean().default(false).describe('Refuse to send over a server that offers no STARTTLS.'),
  user: z.string().optional(),
  pass: z.string().optional().describe('Use ${ENV}.'),
  from: z.string().min(3).describe('Sender, e.g. "联网报警中心 <alarm@example.cn>".'),
  timeoutMs,
});

const smsChannel = z.strictObject({
  id: idSchema,
  kind: z.literal('sms'),
  url: z.url().describe('The SMS gateway: POST JSON {to, text, from?, id}; any 2xx accepts it.'),
  token: z.string().optional().describe('Sent as "Authorization: Bearer …" (never in the URL); use ${ENV}.'),
  from: z.string().max(32).optional().describe('Sender name or number, if the gateway takes one.'),
  timeoutMs,
});

const webhookChannel = z.strictObject({
  id: idSchema,
  kind: z.literal('webhook'),
  url: z.url().describe('POST JSON {id, to, text, reason, incident, site}, signed like the webhooks.'),
  secret: z.string().min(16).describe('HMAC-SHA256 key for X-Sharpeyes-Signature; use ${ENV}.'),
  timeoutMs,
});

export const notifierChannelSchema = z.discriminatedUnion('kind', [emailChannel, smsChannel, webhookChannel]);
export type NotifierChannel = z.infer<typeof notifierChannelSchema>;

/** Moments a contact can be told of. `manual`: the operator's notify button (always allowed). */
export const NOTIFY_ON = ['opened', 'confirmed', 'forwarded', 'closed', 'test_mode'] as const;
export type NotifyOn = (typeof NOTIFY_ON)[number];

export const notifyRuleSchema = z.strictObject({
  on: z.array(z.enum(NOTIFY_ON)).min(1),
  kinds: z
    .array(z.enum(['alarm', 'maintenance']))
    .min(1)
    .default(['alarm']),
  priorities: z.array(z.number().int().min(1).max(4)).min(1).optional(),
  roles: z
    .array(z.string())
    .min(1)
    .optional()
    .describe('Contacts with these roles; otherwise the contacts marked notify: true.'),
  channels: z.array(idSchema).min(1).optional().describe('Only these channels; all when omitted.'),
});
export type NotifyRule = z.infer<typeof notifyRuleSchema>;

export const notifiersSchema = z
  .strictObject({
    channels: z.array(notifierChannelSchema).default([]),
    rules: z
      .array(notifyRuleSchema)
      .default([{ on: ['opened', 'forwarded', 'closed', 'test_mode'], kinds: ['alarm'] }])
      .describe('When contacts are told; default: an alarm opened, forwarded, closed, and test mode.'),
    language: z.enum(['zh-CN', 'en']).default('zh-CN').describe('Language of the messages.'),
    maxAttempts: z.number().int().min(1).max(100).default(8),
    maxAgeSeconds: z
      .number()
      .int()
      .min(60)
      .default(6 * 3600)
      .describe('Give up on a message this old.'),
    initialBackoffMs: z.number().int().min(1).default(2000),
    maxBackoffMs: z.number().int().min(1).default(300_000),
  })
  .prefault({})
  .describe('Issue 17: notifiers for keyholders and site owners (email over SMTP, SMS gateway, webhook).');
export type NotifiersConfig = z.infer<typeof notifiersSchema>;
