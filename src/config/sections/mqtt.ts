import { z } from 'zod';

/** Issue 13: a runaway panel is slowed down at its own socket, so it cannot take the event loop. */
const panelRate = z
  .strictObject({
    perSecond: z
      .number()
      .positive()
      .default(50)
      .describe('Events a second one panel may commit once past its burst; the rest wait for their PUBACK.'),
    burst: z
      .number()
      .int()
      .positive()
      .default(200)
      .describe('Events one panel may send at once at full speed.'),
  })
  .describe(
    'A panel sending faster than this (a runaway) gets its PUBACKs at this rate, so the broker reads its ' +
      'socket slower; its events are all kept, in order. Panic, duress, fire and medical never wait.',
  );

const embedded = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(1883)
      .describe('MQTT TCP port of the embedded Aedes broker.'),
    host: z.string().default('0.0.0.0').describe('Address the embedded broker binds to.'),
    plain: z
      .boolean()
      .default(true)
      .describe('Listen on plain TCP `port`; false leaves only the TLS listener.'),
    tls: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8883).describe('MQTT over TLS port.'),
        cert: z.string().describe('PEM certificate (chain) file.'),
        key: z.string().describe('PEM private key file.'),
        ca: z.string().optional().describe('PEM CA bundle (for client certificates), optional.'),
      })
      .optional()
      .describe('MQTT over TLS with a certificate from files (issue 15).'),
    maxFailedLoginsPerMinute: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe('Failed panel logins per address (and per panel id) per minute before the rest are refused.'),
    panelRate: panelRate.prefault({}),
  })
  .refine((e) => e.plain || e.tls, { message: 'with plain: false, give tls' })
  .describe('Run the embedded Aedes broker.');

/** The embedded broker with every default, a fresh object each call (`start --mqtt-port` sets its port). */
export const embeddedDefaults = () => embedded.parse({});

export const mqttSchema = z
  .strictObject({
    embedded: embedded.optional(),
    url: z
      .string()
      .optional()
      .describe('External broker URL (mqtt://host:port); replaces the embedded broker.'),
    username: z.string().optional().describe('Service account on the external broker.'),
    password: z.string().optional().describe('Password of the service account; use ${ENV}.'),
    clientId: z
      .string()
      .default('sharpeyes-core')
      .describe('Client id of this service node on an external broker.'),
    topicPrefix: z.string().default('sharpeyes').describe('Topic prefix of panel protocol v1.'),
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(8192)
      .describe('Larger panel payloads are rejected.'),
    maxClockSkewSeconds: z
      .number()
      .int()
      .positive()
      .default(86_400)
      .describe(
        'A panel clock further off than this is recorded on its events (detail.clockSkewSeconds) ' +
          'and they are dated by the receive time; they are never rejected for it.',
      ),
  })
  .refine((m) => !(m.embedded && m.url), { message: 'give either mqtt.embedded or mqtt.url, not both' })
  .transform((m) => (m.url || m.embedded ? m : { ...m, embedded: embeddedDefaults() }))
  .describe('Panel protocol transport.');
