import { z } from 'zod';
import { panelDc09Schema } from './dc09.js';
import { idSchema } from './jurisdictions.js';

export const zoneSchema = z.strictObject({
  name: z.string().describe('Zone name, e.g. "front door".'),
  cameras: z.array(idSchema).default([]).describe('Cameras that see this zone.'),
  preset: z.number().int().min(0).optional().describe('PTZ preset the zone cameras go to on an alarm.'),
});

export const panelSchema = z
  .strictObject({
    id: idSchema.describe('Panel id; also its MQTT username.'),
    site: idSchema.describe('Site the panel protects.'),
    secret: z
      .string()
      .min(8)
      .optional()
      .describe('MQTT password of the panel; use ${ENV}. A panel that only speaks DC-09 has none.'),
    heartbeatSeconds: z
      .number()
      .int()
      .min(5)
      .default(60)
      .describe('Supervision interval: MQTT heartbeats, or DC-09 NULL polls and messages.'),
    zones: z.record(z.string(), zoneSchema).default({}).describe('Zones by zone id.'),
    dc09: panelDc09Schema.optional(),
  })
  .refine((p) => p.secret !== undefined || p.dc09 !== undefined, {
    message: 'a panel needs a secret (to speak MQTT) or a dc09 account (to report over SIA DC-09), or both',
    path: ['secret'],
  });
export type PanelConfig = z.infer<typeof panelSchema>;

export const panelsSchema = z.array(panelSchema).default([]).describe('Alarm panels.');
