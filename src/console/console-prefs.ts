import { Router } from 'express';
import { z } from 'zod';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import type { Service } from '../service.js';
import type { ConsoleStore } from './console-store.js';

/**
 * What the console remembers per user. Every key is optional; a PUT merges the keys it names
 * (`null` removes one), so two pages saving different keys never overwrite each other.
 */
export const prefsSchema = z.strictObject({
  lang: z.enum(['zh-CN', 'en']).nullable().optional().describe('Console language.'),
  mutedShift: z
    .string()
    .regex(/^\d{4}-\d{1,2}-\d{1,2}-(day|night)$/, 'a shift as YYYY-M-D-day|night')
    .nullable()
    .optional()
    .describe('The shift the user muted the ring for; the mute lapses when the shift changes.'),
  queueFilter: z
    .enum(['alarms', 'maintenance', 'closed', 'open', 'all'])
    .nullable()
    .optional()
    .describe('Queue tab (`open` and `all` are the names older consoles saved).'),
  mapColour: z
    .enum(['incidents', 'rating'])
    .nullable()
    .optional()
    .describe('Map site layer: plain or by rating.'),
  mapLayers: z
    .string()
    .regex(/^((incidents|areas|units)(,(incidents|areas|units)){0,2})?$/, 'a list of incidents, areas, units')
    .nullable()
    .optional()
    .describe('Map overlays that are on, comma-separated.'),
});
export type ConsolePrefs = z.infer<typeof prefsSchema>;

/** `GET /api/console/prefs` → `{prefs}`; `PUT /api/console/prefs {…}` merges and returns `{prefs}`. */
export function consolePrefsRoutes(svc: Service, store: ConsoleStore): Router {
  const r = Router();
  const lenient = (stored: unknown): ConsolePrefs => {
    if (stored === undefined) return {};
    // A row written by an older version with keys since removed is read leniently, not refused.
    const res = prefsSchema.safeParse(stored);
    return res.success ? res.data : {};
  };
  const load = async (userId: number): Promise<ConsolePrefs> => lenient(await store.prefs(userId));

  r.use('/api/console', requireUser(svc.need('auth')));
  r.get(
    '/api/console/prefs',
    route(async (req, res) => {
      res.json({ prefs: await load(userOf(req).id) });
    }),
  );
  r.put(
    '/api/console/prefs',
    route(async (req, res) => {
      const user = userOf(req);
      const patch = parse(prefsSchema, req.body ?? {});
      const prefs = await store.mergePrefs(
        user.id,
        (stored) => {
          const current = lenient(stored);
          const merged: Record<string, unknown> = { ...current };
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) delete merged[k];
            else if (v !== undefined) merged[k] = v;
          }
          // A PUT that changes nothing (an empty body) writes nothing.
          return { prefs: merged, changed: JSON.stringify(merged) !== JSON.stringify(current) };
        },
        new Date().toISOString(),
      );
      res.json({ prefs });
    }),
  );
  return r;
}
