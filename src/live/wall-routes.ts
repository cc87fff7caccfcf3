import { Router } from 'express';
import { z } from 'zod';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { WallStore } from './wall-store.js';

export const WALL_SIZES = [1, 4, 9, 16] as const;

export const wallSchema = z.strictObject({
  layout: z.union(WALL_SIZES.map((n) => z.literal(n))).describe('Tiles on the wall: 1, 4, 9 or 16.'),
  tiles: z
    .array(z.string().min(1).max(64).nullable())
    .max(16)
    .describe('Camera id per tile position (null = empty), first tile first.'),
  alarmTiles: z
    .number()
    .int()
    .min(0)
    .max(16)
    .describe('How many of the first tiles an incident’s cameras take (0 = alarms never change the wall).'),
});
export type WallLayout = z.infer<typeof wallSchema>;

export const DEFAULT_WALL: WallLayout = { layout: 4, tiles: [], alarmTiles: 4 };

/**
 * `GET/PUT /api/wall`: each operator's wall (layout, tile cameras, alarm linkage) is stored
 * server-side so it follows them from desk to desk.
 */
export function wallRoutes(svc: Service): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const access = svc.need('access');
  const store = new WallStore(svc.need('store').k);
  const bad = svc.metrics.counter('sharpeyes_live_bad_requests_total', 'Live REST requests refused', [
    'code',
  ]);

  const load = async (user: User): Promise<WallLayout> => {
    const stored = await store.layout(user.id);
    const res = stored ? wallSchema.safeParse(JSON.parse(stored)) : undefined;
    const wall = res?.success ? res.data : DEFAULT_WALL;
    // A camera taken out of the user's scope since it was saved leaves an empty tile.
    return { ...wall, tiles: wall.tiles.map((c) => (c && access.canSeeCamera(user, c) ? c : null)) };
  };

  r.get(
    '/api/wall',
    auth,
    route(async (req, res) => {
      res.json(await load(userOf(req)));
    }),
  );

  r.put(
    '/api/wall',
    auth,
    route(async (req, res) => {
      const user = userOf(req);
      let wall: WallLayout;
      try {
        wall = parse(wallSchema, req.body);
      } catch (err) {
        bad.inc({ code: 'bad_request' });
        throw err;
      }
      const unknown = wall.tiles.filter((c): c is string => c !== null && !access.canSeeCamera(user, c));
      if (unknown.length > 0) {
        bad.inc({ code: 'unknown_camera' });
        throw new HttpError(400, 'unknown_camera', `no such camera: ${unknown.join(', ')}`, {
          cameras: unknown,
        });
      }
      await store.save(user.id, JSON.stringify(wall), new Date().toISOString());
      res.json(await load(user));
    }),
  );
  return r;
}
