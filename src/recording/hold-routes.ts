import { Router } from 'express';
import { z } from 'zod';
import type { PlayerHold, PlayerHolds } from '../../streams/player-holds.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { cameraId, checkRange, instant, iso, visibleCamera } from './route-helpers.js';

export interface HoldRouteDeps {
  holds: PlayerHolds;
}

/**
 * Longest window one hold covers, per camera: the player's index windows around its playhead (20 min
 * behind, 40 ahead) with room to play on between two renewals. A tab left open holds this, never a day.
 */
export const MAX_HOLD_MS = 2 * 3_600_000;

const holdId = z.uuid();

/** The hold the path names; an id that is no hold's (not even its shape) is a hold that is gone. */
function pathHold(id: unknown): string {
  const ok = holdId.safeParse(id);
  if (!ok.success) throw gone(String(id));
  return ok.data;
}

const gone = (id: string) =>
  new HttpError(
    404,
    'hold_gone',
    `playback hold ${id} has lapsed or was released: place a new one and read the index again`,
  );
const placeBody = z.strictObject({
  cameras: z.array(cameraId).min(1).max(4),
  from: instant,
  to: instant,
});
const renewBody = z.strictObject({ from: instant, to: instant }).partial();

const out = (h: PlayerHold, ttlMs: number) => ({
  id: h.id,
  cameras: h.cameras,
  from: iso(h.startMs),
  to: iso(h.endMs),
  expiresAt: iso(h.expiresMs),
  renewSeconds: Math.floor(ttlMs / 3000),
});

/**
 * The console player's holds on the footage it has open (`streams/player-holds.ts`): placed when a
 * view opens, renewed by the page every `renewSeconds` and moved with the playhead, released when the
 * view closes or moves to other cameras. Scoped as the footage itself (a camera the user may not view
 * is the same 404 as an unknown one). Not audited on its own: it shows nothing, and the footage it
 * keeps is audited as it is viewed (`footage.view` of the index); a refused hold is logged.
 */
export function holdRoutes(svc: Service, d: HoldRouteDeps): Router {
  const r = Router();
  r.use('/api/recordings/holds', requireUser(svc.need('auth')));

  r.post(
    '/api/recordings/holds',
    route(async (req, res) => {
      const user = userOf(req);
      const b = parse(placeBody, req.body);
      for (const c of b.cameras) visibleCamera(svc, user, c);
      checkRange(b.from, b.to, MAX_HOLD_MS);
      const placed = await d.holds.place({
        holder: user.username,
        cameras: [...new Set(b.cameras)],
        startMs: b.from,
        endMs: b.to,
      });
      if (!placed.ok) {
        svc.log.warn(
          { user: user.username, held: placed.held },
          'recording: a player hold was refused: the user keeps the most holds allowed (other tabs)',
        );
        throw new HttpError(
          409,
          'hold_limit',
          `${user.username} already keeps ${placed.held} playback windows from retention (the most allowed): close another playback tab`,
          { max: d.holds.maxPerHolder },
        );
      }
      res.status(201).json(out(placed.hold, d.holds.ttlMs));
    }),
  );

  r.put(
    '/api/recordings/holds/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = pathHold(req.params['id']);
      const b = parse(renewBody, req.body ?? {});
      if ((b.from === undefined) !== (b.to === undefined))
        throw new HttpError(400, 'bad_range', 'give both `from` and `to`, or neither');
      if (b.from !== undefined && b.to !== undefined) checkRange(b.from, b.to, MAX_HOLD_MS);
      const h = await d.holds.renew(
        id,
        user.username,
        b.from !== undefined && b.to !== undefined ? { startMs: b.from, endMs: b.to } : undefined,
      );
      if (!h) throw gone(id);
      res.json(out(h, d.holds.ttlMs));
    }),
  );

  r.delete(
    '/api/recordings/holds/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = pathHold(req.params['id']);
      // Idempotent: a hold already gone (lapsed, released by another request) is released too.
      await d.holds.release(id, user.username);
      res.status(204).end();
    }),
  );
  return r;
}
