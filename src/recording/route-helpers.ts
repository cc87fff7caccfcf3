import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';

export const cameraId = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'a camera id (letters, digits, ".", "_", "-")');

export const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

/** `cam-1,cam-2` in a query string: up to four cameras of one synchronised view. */
export const cameraList = z
  .string()
  .transform((s) => [...new Set(s.split(',').filter(Boolean))])
  .pipe(z.array(cameraId).min(1).max(4));

export const iso = (ms: number) => new Date(ms).toISOString();

/** One camera over a range, as the recording routes take it (`token`: a signed media URL's). */
export const rangeQuery = z.strictObject({
  camera: cameraId,
  from: instant,
  to: instant,
  token: z.string().optional(),
});

/** Range checks shared by the timeline, playback and export: reversed and huge ranges are 400s. */
export function checkRange(fromMs: number, toMs: number, maxMs: number): void {
  if (toMs <= fromMs) throw new HttpError(400, 'bad_range', '`to` must be after `from`');
  if (toMs - fromMs > maxMs)
    throw new HttpError(400, 'range_too_long', `a range may span at most ${maxMs / 1000} s`, {
      maxSeconds: maxMs / 1000,
    });
}

/** Unknown and out-of-scope cameras are the same 404, so scope leaks nothing. */
export function visibleCamera(svc: Service, user: User, camera: string): void {
  if (!svc.need('access').canSeeCamera(user, camera))
    throw new HttpError(404, 'not_found', `camera ${camera} does not exist`);
}
