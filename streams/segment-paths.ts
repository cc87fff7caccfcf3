import { isAbsolute, relative, resolve, sep } from 'node:path';

export class RecordingPathError extends Error {
  constructor(message: string) {
    super(`recording: ${message}`);
    this.name = 'RecordingPathError';
  }
}

const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Whether a name can be used as one path component as it is (no separators, no `..`, no dot files). */
export function isSafeName(name: string): boolean {
  return SAFE.test(name) && !name.includes('..');
}

/**
 * A camera id made safe as a directory name: anything outside `[A-Za-z0-9._-]` becomes `_`, a leading
 * dot or `..` anywhere cannot survive, so `../../etc` can never climb out of the recordings root.
 */
export function sanitizeName(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.\.+/g, '_')
    .replace(/^[.-]/, '_')
    .slice(0, 64);
  return s.length > 0 ? s : '_';
}

/** `YYYY-MM-DD` of an instant in UTC (the day folder of a segment). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Path of a segment relative to its storage root: `<camera>/<YYYY-MM-DD>/<startMs>.mp4`. */
export function segmentRelPath(camera: string, startMs: number): string {
  const ms = Math.round(startMs);
  return `${sanitizeName(camera)}/${utcDay(ms)}/${ms}.mp4`;
}

/** Resolves `rel` under `root`, refusing anything that would land outside it. */
export function resolveInside(root: string, rel: string): string {
  if (isAbsolute(rel)) throw new RecordingPathError(`path ${JSON.stringify(rel)} must be relative`);
  const base = resolve(root);
  const full = resolve(base, rel);
  const back = relative(base, full);
  if (back === '' || back.startsWith('..') || isAbsolute(back) || full.indexOf(base + sep) !== 0)
    throw new RecordingPathError(`path ${JSON.stringify(rel)} leaves ${base}`);
  return full;
}
