import { z } from 'zod';

const hex = (min: number, max: number) => new RegExp(`^[0-9A-Fa-f]{${min},${max}}$`);

/** Top-level `dc09`: the SIA DC-09 receiver. Absent: no receiver runs. */
export const dc09Schema = z
  .strictObject({
    host: z.string().default('0.0.0.0').describe('Address the receiver binds to, for TCP and UDP.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .describe('One port for TCP and UDP; 0 picks a free one (shown by /api/health).'),
    maxPastSeconds: z
      .number()
      .int()
      .positive()
      .default(40)
      .describe('An encrypted message whose timestamp is older than this is NAKed (DC-09: 40).'),
    maxFutureSeconds: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe('An encrypted message whose timestamp is further ahead than this is NAKed (DC-09: 20).'),
    duplicateWindowSeconds: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe(
        'A message with the sequence number and content of one received within this window (up to twice it) is a retransmission, stored once.',
      ),
  })
  .describe('SIA DC-09 receiver for panels that report over IP without MQTT.');
export type Dc09Config = z.infer<typeof dc09Schema>;

/** `dc09` on a panel: the account it reports under, and the quirks of its brand. */
export const panelDc09Schema = z
  .strictObject({
    account: z
      .string()
      .regex(hex(3, 16), 'a DC-09 account: 3 to 16 hex digits')
      .transform((s) => s.toUpperCase())
      .describe('Account number the panel reports under (#acct).'),
    key: z
      .string()
      .regex(
        /^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$/,
        'an AES key of 32, 48 or 64 hex digits (AES-128/192/256); a panel showing a 16-character text key wants that text in hex',
      )
      .optional()
      .describe('AES key; with a key only encrypted messages are accepted. Use ${ENV}.'),
    receiver: z
      .string()
      .regex(hex(1, 6), 'a receiver number: 1 to 6 hex digits')
      .transform((s) => s.toUpperCase())
      .optional()
      .describe('Receiver number (R) the panel sends; when set, messages with another are not this panel.'),
    line: z
      .string()
      .regex(hex(1, 6), 'a line (account prefix): 1 to 6 hex digits')
      .transform((s) => s.toUpperCase())
      .optional()
      .describe(
        'Line / account prefix (L) the panel sends; when set, messages on another line are not this panel.',
      ),
    localTimeOffset: z
      .string()
      .regex(/^[+-](?:0\d|1[0-4]):[0-5]\d$/, 'a UTC offset such as "+08:00"')
      .optional()
      .describe('Field quirk: the panel sends local time at this UTC offset instead of UTC.'),
    binaryCrc: z
      .boolean()
      .default(false)
      .describe('Field quirk: the panel sends the CRC as two binary bytes (some Lupusec, OPAX).'),
  })
  .describe('SIA DC-09 reporting of this panel.');
export type PanelDc09Config = z.infer<typeof panelDc09Schema>;
