import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

export const zoneSchema = z.strictObject({
  name: z.string().describe('Zone name, e.g. "front door".'),
  cameras: z.array(idSchema).default([]).describe('Cameras that see this zone.'),
  preset: z.number().int().min(0).optional().describe('PTZ preset the zone cameras go to on an alarm.'),
});

export const panelSchema = z.strictObject({
  id: idSchema.describe('Panel id; also its MQTT username.'),
  site: idSchema.describe('Site the panel protects.'),
  secret: z.string().min(8).describe('MQTT password of the panel; use ${ENV}.'),
  heartbeatSeconds: z.number().int().min(5).default(60).describe('Supervision interval.'),
  zones: z.record(z.string(), zoneSchema).default({}).describe('Zones by zone id.'),
});
export type PanelConfig = z.infer<typeof panelSchema>;

export const panelsSchema = z.array(panelSchema).default([]).describe('Alarm panels.');
