import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { lowerChild } from './child-nice.js';
import { chapters, clockSubtitles, type Hole, mediaSeconds, type Piece, piecesOf } from './clip-timeline.js';
import type { Segment, SegmentIndex } from './segment-index.js';
import { resolveInside } from './segment-paths.js';

export class ClipError extends Error {
  constructor(
    message: string,
    readonly code: 'no_footage' | 'ffmpeg_failed',
    options?: { cause?: unknown },
  ) {
    super(`clip: ${message}`, options);
    this.name = 'ClipError';
  }
}

export interface ClipResult {
  file: string;
  camera: string;
  /** Actual range: from the keyframe (segment start) at or before the asked start to the last segment's end. */
  startMs: number;
  endMs: number;
  /** Seconds of video in the file: the wall time it covers, less the gaps. */
  duration: number;
  pieces: Piece[];
  holes: Hole[];
  bytes: number;
  sha256: string;
  segments: Segment[];
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** Segments of the range whose files exist, oldest first (checked async, 32 at a time). */
export async function footage(
  index: SegmentIndex,
  camera: string,
  fromMs: number,
  toMs: number,
  /** The segment still being written (not indexed yet), included when it overlaps the range. */
  open?: Segment,
): Promise<Segment[]> {
  const segs = await index.segments(camera, fromMs, toMs);
  if (open && open.endMs > fromMs && open.startMs < toMs && !segs.some((s) => s.path === open.path))
    segs.push(open);
  const out: Segment[] = [];
  for (let i = 0; i < segs.length; i += 32) {
    const batch = segs.slice(i, i + 32);
    const ok = await Promise.all(batch.map((s) => exists(resolveInside(s.storage, s.path))));
    out.push(...batch.filter((_, j) => ok[j]));
  }
  return out;
}

/**
 * An ffconcat list of absolute segment paths. A segment recorded before issue 14 carries its place in
 * the upstream as its timestamps, which the concat demuxer would add up as durations (4 s of video
 * claiming 280 s); its indexed duration is given explicitly. Zero-based segments need nothing.
 */
export function concatList(segments: readonly Segment[]): string {
  const lines = ['ffconcat version 1.0'];
  for (const s of segments) {
    const file = resolveInside(s.storage, s.path);
    lines.push(`file '${file.replace(/'/g, "'\\''")}'`);
    if (!s.zeroBased) lines.push(`duration ${((s.endMs - s.startMs) / 1000).toFixed(3)}`);
    // The segment still being written (id -1: `Recorder.openSegment`) grows while ffmpeg reads it; it
    // is cut where the snapshot ended, so the clip holds exactly the footage its range names (a demo
    // clip said 30.6 s and held 31.0 s of video).
    else if (s.id < 0) lines.push(`outpoint ${((s.endMs - s.startMs) / 1000).toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ConcatOptions {
  /** Muxer arguments after the mapping (container, flags, output). */
  out: string[];
  ffmpeg?: string;
  /** Adds the wall-clock subtitle track, chapters and creation time (files, not live streams). */
  clock?: { title: string; timeZone: string };
}

export type ConcatProcess = ChildProcessByStdio<null, Readable, Readable> & { done: Promise<number | null> };

/**
 * Runs ffmpeg with the concat demuxer over `segments`, video copied (never re-encoded). With `clock`,
 * the wall-clock track, chapters and `creation_time` go in too. `done` resolves with the exit code
 * and never rejects: a failed spawn (no ffmpeg) resolves -1 with the error on `spawnError`.
 */
export async function spawnConcat(
  segments: readonly Segment[],
  o: ConcatOptions,
): Promise<ConcatProcess & { spawnError?: Error }> {
  const dir = await mkdtemp(join(tmpdir(), 'sharpeyes-concat-'));
  const list = join(dir, 'list.ffconcat');
  await writeFile(list, concatList(segments));
  const inputs = ['-f', 'concat', '-safe', '0', '-i', list];
  const maps = ['-map', '0:v'];
  const codecs = ['-c:v', 'copy'];
  if (o.clock) {
    const { pieces } = piecesOf(segments);
    await writeFile(join(dir, 'clock.srt'), clockSubtitles(pieces, o.clock.timeZone));
    await writeFile(join(dir, 'chapters.txt'), chapters(pieces, o.clock.title, o.clock.timeZone));
    const firstMs = pieces[0]?.startMs ?? 0;
    // creation_time holds whole seconds in MP4; the comment carries the millisecond.
    const start = new Date(firstMs).toISOString().replace('Z', '000Z');
    inputs.push(
      '-f',
      'srt',
      '-i',
      join(dir, 'clock.srt'),
      '-f',
      'ffmetadata',
      '-i',
      join(dir, 'chapters.txt'),
    );
    maps.push('-map', '1:s', '-map_metadata', '2', '-map_chapters', '2');
    codecs.push(
      ...['-c:s', 'mov_text', '-disposition:s:0', 'default'],
      ...['-metadata', `creation_time=${start}`, '-metadata:s:s:0', 'handler_name=Wall clock'],
      ...['-metadata', `comment=wall-clock start ${new Date(firstMs).toISOString()}`],
      ...['-metadata:s:v:0', `creation_time=${start}`],
    );
  }
  const proc = spawn(
    o.ffmpeg ?? 'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputs, ...maps, ...codecs, ...o.out],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  ) as ConcatProcess & { spawnError?: Error };
  lowerChild(proc.pid);
  proc.done = new Promise<number | null>((resolve) => {
    proc.once('error', (err) => {
      proc.spawnError = err;
      resolve(-1);
    });
    proc.once('close', (code) => resolve(code));
  }).finally(() => rm(dir, { recursive: true, force: true }));
  return proc;
}

/**
 * Assembles a clip of `camera` over `[fromMs, toMs)` from the indexed segments with the concat
 * demuxer and `-c copy`: an MP4 with its index at the front (plays at once, right duration, in a
 * browser or VLC), the wall-clock track and chapters, `creation_time` = the first frame's wall time.
 * Every segment begins with a keyframe, so the clip starts at the keyframe at or before `fromMs`.
 */
export async function assembleClip(o: {
  index: SegmentIndex;
  camera: string;
  fromMs: number;
  toMs: number;
  out: string;
  timeZone?: string;
  onProgress?: (fraction: number) => void;
  ffmpeg?: string;
  open?: Segment | undefined;
  signal?: AbortSignal;
}): Promise<ClipResult> {
  const segments = await footage(o.index, o.camera, o.fromMs, o.toMs, o.open);
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (!first || !last)
    throw new ClipError(
      `camera ${o.camera} has no footage between ${new Date(o.fromMs).toISOString()} and ${new Date(o.toMs).toISOString()}`,
      'no_footage',
    );
  const { pieces, holes } = piecesOf(segments);
  const duration = mediaSeconds(pieces);
  const proc = await spawnConcat(segments, {
    out: ['-movflags', '+faststart', '-f', 'mp4', '-progress', 'pipe:1', '-nostats', '-y', o.out],
    clock: {
      title: `${o.camera} ${new Date(first.startMs).toISOString()} – ${new Date(last.endMs).toISOString()}`,
      timeZone: o.timeZone ?? 'Asia/Shanghai',
    },
    ...(o.ffmpeg ? { ffmpeg: o.ffmpeg } : {}),
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  proc.stdout.on('data', (d: Buffer) => {
    const m = /out_time_us=(\d+)/.exec(d.toString());
    if (m && o.onProgress && duration > 0) o.onProgress(Math.min(1, Number(m[1]) / 1e6 / duration));
  });
  const kill = () => proc.kill('SIGKILL');
  o.signal?.addEventListener('abort', kill, { once: true });
  const code = await proc.done.finally(() => o.signal?.removeEventListener('abort', kill));
  if (o.signal?.aborted) throw new ClipError(`clip of ${o.camera} aborted`, 'ffmpeg_failed');
  if (code !== 0)
    throw new ClipError(
      `ffmpeg concat of ${o.camera} exited with ${code}: ${proc.spawnError?.message ?? stderr.trim()}`,
      'ffmpeg_failed',
      { cause: proc.spawnError },
    );
  o.onProgress?.(1);
  return {
    file: o.out,
    camera: o.camera,
    startMs: first.startMs,
    endMs: last.endMs,
    duration,
    pieces,
    holes,
    bytes: (await stat(o.out)).size,
    sha256: await sha256File(o.out),
    segments,
  };
}

/** One JPEG frame at `atSeconds` into a clip (this decodes one frame; recording never does). */
export async function snapshotFromClip(
  clip: string,
  out: string,
  atSeconds: number,
  ffmpeg = 'ffmpeg',
): Promise<void> {
  const args = ['-hide_banner', '-loglevel', 'error', '-ss', String(Math.max(0, atSeconds)), '-i', clip];
  const proc = spawn(ffmpeg, [...args, '-frames:v', '1', '-q:v', '3', '-y', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  lowerChild(proc.pid);
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    proc.once('error', (err) => {
      stderr += err.message;
      resolve(-1);
    });
    proc.once('close', resolve);
  });
  if (code !== 0 || !(await exists(out)))
    throw new ClipError(`snapshot of ${clip} failed (${code}): ${stderr.trim()}`, 'ffmpeg_failed');
}
