import { z } from 'zod';

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
  })
  .describe('Run the embedded Aedes broker.');

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
      .describe('Events whose ts is further than this from the service clock are rejected.'),
  })
  .refine((m) => !(m.embedded && m.url), { message: 'give either mqtt.embedded or mqtt.url, not both' })
  .transform((m) => (m.url || m.embedded ? m : { ...m, embedded: { port: 1883, host: '0.0.0.0' } }))
  .describe('Panel protocol transport.');
