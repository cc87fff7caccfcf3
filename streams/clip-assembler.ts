import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  bytes: number;
  sha256: string;
  segments: Segment[];
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Segments of the range whose files exist, oldest first. */
export function footage(
  index: SegmentIndex,
  camera: string,
  fromMs: number,
  toMs: number,
  /** The segment still being written (not indexed yet), included when it overlaps the range. */
  open?: Segment,
): Segment[] {
  const segs = index.segments(camera, fromMs, toMs);
  if (open && open.endMs > fromMs && open.startMs < toMs && !segs.some((s) => s.path === open.path))
    segs.push(open);
  return segs.filter((s) => existsSync(resolveInside(s.storage, s.path)));
}

/** An ffconcat list of absolute segment paths (quotes escaped the way the concat demuxer reads them). */
export function concatList(segments: Segment[]): string {
  const lines = ['ffconcat version 1.0'];
  for (const s of segments) {
    const file = resolveInside(s.storage, s.path);
    lines.push(`file '${file.replace(/'/g, "'\\''")}'`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs ffmpeg with the concat demuxer over `segments`; `outArgs` choose the container. */
export function spawnConcat(segments: Segment[], outArgs: string[], ffmpeg = 'ffmpeg') {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-concat-'));
  const list = join(dir, 'list.ffconcat');
  writeFileSync(list, concatList(segments));
  const proc = spawn(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-map',
      '0:v',
      '-c',
      'copy',
      ...outArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.once('close', () => rmSync(dir, { recursive: true, force: true }));
  return proc;
}

/**
 * Assembles a clip of `camera` over `[fromMs, toMs)` from the indexed segments with the concat
 * demuxer and `-c copy` (never fluent-ffmpeg's mergeToFile, which re-encodes). Every segment begins
 * with a keyframe, so the clip starts at the keyframe at or before `fromMs`.
 */
export async function assembleClip(o: {
  index: SegmentIndex;
  camera: string;
  fromMs: number;
  toMs: number;
  out: string;
  onProgress?: (fraction: number) => void;
  ffmpeg?: string;
  open?: Segment | undefined;
}): Promise<ClipResult> {
  const segments = footage(o.index, o.camera, o.fromMs, o.toMs, o.open);
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (!first || !last)
    throw new ClipError(
      `camera ${o.camera} has no footage between ${new Date(o.fromMs).toISOString()} and ${new Date(o.toMs).toISOString()}`,
      'no_footage',
    );
  const totalUs = segments.reduce((n, s) => n + (s.endMs - s.startMs) * 1000, 0);
  const proc = spawnConcat(
    segments,
    ['-movflags', '+faststart', '-f', 'mp4', '-progress', 'pipe:1', '-nostats', '-y', o.out],
    o.ffmpeg,
  );
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  proc.stdout.on('data', (d: Buffer) => {
    const m = /out_time_us=(\d+)/.exec(d.toString());
    if (m && o.onProgress && totalUs > 0) o.onProgress(Math.min(1, Number(m[1]) / totalUs));
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', resolve);
  });
  if (code !== 0)
    throw new ClipError(
      `ffmpeg concat of ${o.camera} exited with ${code}: ${stderr.trim()}`,
      'ffmpeg_failed',
    );
  o.onProgress?.(1);
  return {
    file: o.out,
    camera: o.camera,
    startMs: first.startMs,
    endMs: last.endMs,
    bytes: statSync(o.out).size,
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
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', resolve);
  });
  if (code !== 0 || !existsSync(out))
    throw new ClipError(`snapshot of ${clip} failed (${code}): ${stderr.trim()}`, 'ffmpeg_failed');
}
