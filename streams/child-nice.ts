import { getPriority, setPriority } from 'node:os';

/**
 * How much nicer than the service the ffmpeg processes it starts run: the cameras' streams
 * (ffmpeg-upstream.ts), and the work an alarm or a person asks for (frames for verification and
 * motion, snapshots, clips, exports, playback). On two cores, a decoder at the service's priority is
 * an equal the alarm thread waits behind when a panic wakes it; below it, the decoder waits instead,
 * a few milliseconds a frame.
 */
export const FFMPEG_NICE = 10;

/**
 * Sets a child process `nice` steps below this thread (at most 19), right after its spawn. Returns
 * why not when the system refuses (never for lowering, on Linux); the child then runs as it is.
 */
export function lowerChild(pid: number | undefined, nice = FFMPEG_NICE): string | undefined {
  if (nice <= 0 || pid === undefined) return undefined;
  try {
    setPriority(pid, Math.min(19, getPriority() + nice));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
