import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

export const unitSchema = z.strictObject({
  id: idSchema.describe('Unit id, e.g. a call sign.'),
  name: z.string().min(1).describe('Display name, e.g. 北城巡逻1车.'),
  kind: z
    .enum(['patrol_car', 'station_team', 'foot_patrol', 'motorcycle', 'other'])
    .default('patrol_car')
    .describe('What the unit is.'),
  jurisdiction: idSchema.describe('Jurisdiction node the unit belongs to (usually a station).'),
  location: z
    .strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .optional()
    .describe(
      'Where the unit is based (its beat or post); the dispatch list measures distance from here. ' +
        'Default: the location of its jurisdiction node.',
    ),
});
export type UnitConfig = z.infer<typeof unitSchema>;

export const unitsSchema = z
  .array(unitSchema)
  .default([])
  .describe('Units that can be dispatched: patrol cars, station teams.');
