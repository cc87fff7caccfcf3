import { z } from 'zod';

export interface JurisdictionNode {
  id: string;
  name: string;
  kind?: string | undefined;
  location?: { lat: number; lon: number } | undefined;
  /** Outline of the area as [lat, lon] corners, for the console map without a tile server. */
  boundary?: [number, number][] | undefined;
  children: JurisdictionNode[];
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const idSchema = z.string().regex(idPattern, 'an id of letters, digits, "_", "." or "-" (max 64)');

export const jurisdictionNodeSchema: z.ZodType<JurisdictionNode> = z.lazy(() =>
  z.strictObject({
    id: idSchema.describe('Node id, unique in the tree.'),
    name: z.string().min(1).describe('Display name, e.g. 朔城区公安分局.'),
    kind: z.string().optional().describe('city | district | station | grid | ...'),
    location: z
      .strictObject({ lat: z.number(), lon: z.number() })
      .optional()
      .describe('Where the node sits (a station building): units without a location start from here.'),
    boundary: z
      .array(z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]))
      .min(3)
      .max(5000)
      .optional()
      .describe('Outline of the area, [[lat, lon], ...] (WGS-84); drawn on the console map.'),
    children: z.array(jurisdictionNodeSchema).default([]).describe('Child nodes.'),
  }),
) as z.ZodType<JurisdictionNode>;

export const jurisdictionsSchema = z
  .array(jurisdictionNodeSchema)
  .default([])
  .describe('The jurisdiction tree: city 110 centre, districts, stations, grid cells.');
