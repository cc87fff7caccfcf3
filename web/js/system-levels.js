// The levels of 系统状态 (web/js/system.js): green, yellow or red for the alarm path's wait, a sink,
// panels and cameras online, recording, and a history step by the same rules; and the waits' log scale
// that the tile's trace and the history chart share.

/** A sender's wait for its durable decision: over these it is worth a look, then a problem. */
export const WAIT_WARN_MS = 100;
const WAIT_BAD_MS = 1000;
/** A sink this long behind is worth a look even if nothing failed yet. */
const BEHIND_WARN_S = 60;

/** A sink's level: red while it fails, yellow when its oldest row has waited too long. */
export const sinkLevel = (s) => (s.failures > 0 ? 'bad' : s.behindSeconds > BEHIND_WARN_S ? 'warn' : 'ok');

/** A wait's level (a sender's for its decision, or the alarm thread held): by its p99 and its worst. */
export const waitLevel = (p99, max) => (max > WAIT_BAD_MS ? 'bad' : p99 > WAIT_WARN_MS ? 'warn' : 'ok');

/** Recording: red when writes fail or the storage is full, yellow when footage drops or room is short. */
export const recordingLevel = (failing, dropping, short, full) =>
  failing > 0 || full > 0 ? 'bad' : dropping > 0 || short > 0 ? 'warn' : 'ok';

/** Panels or cameras: yellow when any is offline. */
export const onlineLevel = (online, total) => (online < total ? 'warn' : 'ok');

const LEVELS = ['ok', 'warn', 'bad'];
/** The worst of some levels. */
export const worstLevel = (...levels) => LEVELS[Math.max(...levels.map((l) => LEVELS.indexOf(l)))];

/** The traces' scale: logarithmic, 0.5 ms to 5 s, so 2 ms and 200 ms both read. */
const TRACE_LOW = Math.log10(0.5);
const TRACE_HIGH = Math.log10(5000);
/** Where `v` ms lies on that scale, 0 (0.5 ms and below) to 1 (5 s and above). */
export const logScale = (v) =>
  (Math.log10(Math.max(0.5, Math.min(5000, v))) - TRACE_LOW) / (TRACE_HIGH - TRACE_LOW);

/**
 * A history point's level, by the tiles' rules: red when a sink failed, or an alarm waited or the
 * alarm thread was held over a second; yellow when the p99 wait or a hold of the thread passed
 * 100 ms, a sink fell a minute behind, or panels or cameras were offline.
 */
export function pointLevel(p) {
  return worstLevel(
    waitLevel(p.waitP99Ms, p.waitMaxMs),
    waitLevel(p.loopMaxMs, p.loopMaxMs),
    sinkLevel({ failures: p.sinksFailing, behindSeconds: p.sinksBehindSeconds }),
    p.panels !== null ? onlineLevel(p.panelsOnline, p.panels) : 'ok',
    p.cameras !== null ? onlineLevel(p.camerasUp, p.cameras) : 'ok',
    recordingLevel(
      p.recordingFailing ?? 0,
      p.recordingDropping ?? 0,
      p.storageShort ?? 0,
      p.storageFull ?? 0,
    ),
  );
}
