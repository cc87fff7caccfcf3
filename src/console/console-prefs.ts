import { Router } from 'express';
import { z } from 'zod';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import type { Service } from '../service.js';

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
  queueFilter: z.enum(['open', 'all']).nullable().optional().describe('Queue tab.'),
  mapColour: z.enum(['incidents', 'rating']).nullable().optional().describe('Map colouring.'),
});
export type ConsolePrefs = z.infer<typeof prefsSchema>;

/** `GET /api/console/prefs` → `{prefs}`; `PUT /api/console/prefs {…}` merges and returns `{prefs}`. */
export function consolePrefsRoutes(svc: Service): Router {
  const r = Router();
  const db = svc.need('store').db;
  const select = db.prepare('SELECT prefs FROM console_prefs WHERE user_id = ?');
  const upsert = db.prepare(
    'INSERT INTO console_prefs (user_id, prefs, updated_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT(user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at',
  );
  const load = (userId: number): ConsolePrefs => {
    const row = select.get(userId) as { prefs: string } | undefined;
    if (!row) return {};
    // A row written by an older version with keys since removed is read leniently, not refused.
    const res = prefsSchema.safeParse(JSON.parse(row.prefs));
    return res.success ? res.data : {};
  };

  r.use('/api/console', requireUser(svc.need('auth')));
  r.get(
    '/api/console/prefs',
    route((req, res) => {
      res.json({ prefs: load(userOf(req).id) });
    }),
  );
  r.put(
    '/api/console/prefs',
    route((req, res) => {
      const user = userOf(req);
      const patch = parse(prefsSchema, req.body ?? {});
      const merged: Record<string, unknown> = { ...load(user.id) };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete merged[k];
        else if (v !== undefined) merged[k] = v;
      }
      upsert.run(user.id, JSON.stringify(merged), new Date().toISOString());
      res.json({ prefs: merged });
    }),
  );
  return r;
}
