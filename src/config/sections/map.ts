import { z } from 'zod';

export const latLonSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/**
 * The console's map (issue 21). In a hall the base map comes from the police intranet's own tile
 * server; the console never reaches the internet. Without `tiles` the map is drawn on a plain
 * background from the jurisdiction boundaries (`jurisdictions[].boundary`) and the site positions.
 */
export const mapSchema = z
  .strictObject({
    tiles: z
      .string()
      .regex(/^(https?:\/\/|\/)[^\s]*\{z\}[^\s]*$/, 'a tile URL template with {z}, {x} and {y}')
      .refine((u) => u.includes('{x}') && u.includes('{y}'), 'a tile URL template with {z}, {x} and {y}')
      .optional()
      .describe(
        'XYZ tile URL template of the base map, e.g. http://gis.intranet/tiles/{z}/{x}/{y}.png ' +
          '({s} for subdomains). Every browser of the console fetches it: it must not carry a secret.',
      ),
    subdomains: z.string().min(1).max(16).optional().describe('Letters that replace {s} in `tiles`.'),
    attribution: z.string().max(200).optional().describe('Credit shown in the map corner.'),
    minZoom: z.number().int().min(0).max(22).default(3).describe('Smallest zoom the map allows.'),
    maxZoom: z.number().int().min(1).max(22).default(18).describe('Largest zoom the tile server serves.'),
    center: latLonSchema.optional().describe('Initial centre; default: fit every site in scope.'),
    zoom: z.number().int().min(0).max(22).optional().describe('Initial zoom with `center`.'),
  })
  .refine((m) => m.minZoom <= m.maxZoom, { message: 'minZoom must not exceed maxZoom', path: ['minZoom'] })
  .describe('The console map: base tiles (optional) and the initial view.');
export type MapConfig = z.infer<typeof mapSchema>;
