import { z } from 'zod';
import { idSchema } from './jurisdictions.js';

export const siteSchema = z.strictObject({
  id: idSchema.describe('Site id.'),
  name: z.string().min(1).describe('Display name.'),
  jurisdiction: idSchema.describe(
    'Id of the jurisdiction node (usually a station or grid cell) covering it.',
  ),
  kind: z
    .enum(['shop', 'school', 'bank', 'household', 'hospital', 'office', 'other'])
    .describe('What the site is.'),
  location: z.strictObject({ lat: z.number(), lon: z.number() }).describe('WGS-84 position.'),
  address: z.string().optional(),
  contacts: z
    .array(z.strictObject({ name: z.string(), phone: z.string(), role: z.string().optional() }))
    .default([])
    .describe('Keyholders and responsible persons.'),
});
export type SiteConfig = z.infer<typeof siteSchema>;

export const sitesSchema = z.array(siteSchema).default([]).describe('Protected sites.');
