import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's opencv-doc sample: people walking across a campus road, seen from a building (768×576). */
export const OPENCV_VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

export interface LoopVideoSpec {
  /** Any video ffmpeg reads. */
  source: string;
  width: number;
  height: number;
  /** Whole frames per second; the file gets a keyframe every `fps` frames (one a second). */
  fps: number;
  /** Keep only the first seconds (tests loop a short clip); default the whole source. */
  seconds?: number;
}

export interface LoopVideo {
  /** H.264 in MPEG-TS, ready for `loopFileLaunch`. */
  file: string;
  width: number;
  height: number;
  fps: number;
  /** Length of one loop, seconds (a whole number: the keyframe rhythm holds across the loop point). */
  seconds: number;
}

export class LoopVideoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`loop-video: ${message}`, options);
    this.name = 'LoopVideoError';
  }
}

/** Bump when the encoding below changes, so cached files are made again. */
const ENCODING_VERSION = 2;
const making = new Map<string, Promise<LoopVideo>>();

async function probeSeconds(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
  ]);
  const s = Number(stdout.trim());
  if (!Number.isFinite(s) || s <= 0) throw new LoopVideoError(`${file} has no duration ffprobe can read`);
  return s;
}

/**
 * The pre-encoded loop of a video, made once and kept in `cacheDir`: scaled into `width`×`height`
 * (aspect kept, black bars), `fps` frames a second, H.264 constrained baseline yuv420p (what every
 * browser decodes; no B-frames, so decoding order is display order), a keyframe every second with
 * SPS/PPS repeated before it, trimmed to whole seconds (the keyframe rhythm holds across the loop
 * point), in MPEG-TS starting at time zero. The name carries a hash of the source file
 * (path, size, modification time) and of these settings; the write is atomic (temp, rename).
 */
export function prepareLoopVideo(
  spec: LoopVideoSpec,
  cacheDir: string,
  signal?: AbortSignal,
): Promise<LoopVideo> {
  if (!existsSync(spec.source)) return Promise.reject(new LoopVideoError(`${spec.source} does not exist`));
  if (!Number.isInteger(spec.fps) || spec.fps < 1)
    return Promise.reject(new LoopVideoError('fps must be whole'));
  const file = loopFile(spec, cacheDir);
  const known = making.get(file);
  if (known) return known;
  // An abort stops the encoder (and so every caller waiting on this file); a later call starts anew.
  const p = make(spec, file, signal);
  making.set(file, p);
  p.catch(() => making.delete(file));
  return p;
}

/** Where the loop of `spec` is kept in `cacheDir`, named for the source file and the settings. */
function loopFile(spec: LoopVideoSpec, cacheDir: string): string {
  const st = statSync(spec.source);
  const key = createHash('sha256')
    .update(JSON.stringify([ENCODING_VERSION, spec, st.size, st.mtimeMs]))
    .digest('hex')
    .slice(0, 12);
  const name = `${basename(spec.source, extname(spec.source))}-${spec.width}x${spec.height}-${spec.fps}fps-${key}`;
  return join(cacheDir, `${name}.ts`);
}

/** Whether the loop of `spec` is already made (`prepareLoopVideo` then only reads its length). */
export function loopVideoCached(spec: LoopVideoSpec, cacheDir: string): boolean {
  return existsSync(spec.source) && existsSync(loopFile(spec, cacheDir));
}

async function make(spec: LoopVideoSpec, file: string, signal?: AbortSignal): Promise<LoopVideo> {
  const sourceSeconds = await probeSeconds(spec.source);
  const seconds = Math.max(1, Math.floor(Math.min(spec.seconds ?? sourceSeconds, sourceSeconds)));
  const video = { file, width: spec.width, height: spec.height, fps: spec.fps, seconds };
  if (existsSync(file)) return video;
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const { width: w, height: h, fps } = spec;
  try {
    await run(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', spec.source, '-an', '-sn'],
        '-vf',
        `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,fps=${fps},format=yuv420p`,
        ...['-frames:v', String(seconds * fps)],
        // veryfast: vtest.avi takes about 7 s of one core (medium: 19 s, and no smaller here).
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'baseline'],
        ...['-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-bf', '0'],
        ...['-x264-params', 'repeat-headers=1', '-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts', tmp],
      ],
      { timeout: 600_000, ...(signal ? { signal } : {}) },
    );
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new LoopVideoError(`cannot encode ${spec.source}: ${(err as { stderr?: string }).stderr ?? err}`, {
      cause: err,
    });
  }
  return video;
}
