import { rebaseFragment } from './fmp4-rebase.js';
import { resolveInside, segmentRelPath } from './segment-paths.js';
import type { SegmentFiles } from './segment-writer.js';

/**
 * One segment being written: its file on the writer thread, and what the index row will say. Every
 * fragment is appended with its decode time rebased to the segment's first one, so the file's
 * timestamps start at zero and its duration is its own (not its place in the upstream).
 */
export class OpenSegment {
  readonly handle: number;
  relPath: string;
  file: string;
  /** Wall clock of the segment's start and of the end of its last fragment. */
  startMs: number;
  endMs: number;
  fragments = 0;
  frames = 0;
  /** Decode time (ticks) where the last fragment ends: the segment's end on the media clock. */
  endDecode: number;
  /** Offsets (ms from the start) of the keyframes in the segment, for reverse play and stepping. */
  readonly keyframes: number[] = [];

  constructor(
    private readonly writer: SegmentFiles,
    readonly storage: string,
    readonly camera: string,
    startMs: number,
    /** Decode time (ticks) of the first fragment: time zero of the file. */
    readonly baseDecode: number,
    readonly timescale: number,
    readonly codec: string,
    init: Buffer,
  ) {
    this.startMs = startMs;
    this.endMs = startMs;
    this.endDecode = baseDecode;
    this.relPath = segmentRelPath(camera, startMs);
    this.file = resolveInside(storage, this.relPath);
    this.handle = writer.open(this.file, init);
  }

  /** Rebases and queues one fragment; false when the file failed or the writer is too far behind. */
  append(
    f: { data: Buffer; decodeTime: number; keyframe: boolean; samples?: number | undefined },
    durationTicks: number,
    startMs: number,
    durationMs: number,
  ): boolean {
    const data = rebaseFragment(f.data, f.decodeTime - this.baseDecode);
    const endMs = startMs + durationMs;
    if (!this.writer.append(this.handle, data, endMs)) return false;
    if (f.keyframe)
      this.keyframes.push(Math.round(((f.decodeTime - this.baseDecode) / this.timescale) * 1000));
    this.fragments++;
    this.frames += f.samples ?? 0;
    this.endMs = endMs;
    this.endDecode = f.decodeTime + durationTicks;
    return true;
  }

  /** The wall clock up to which the file on disk holds footage (acknowledged by the writer). */
  get writtenEndMs(): number {
    return this.writer.written(this.handle)?.endMs ?? 0;
  }

  get failed(): { message: string; code: string } | undefined {
    return this.writer.failed(this.handle);
  }

  /**
   * The final range on the wall clock, from the run's clock at the close: media time from the first
   * fragment to the end of the last. A run's anchor may have been refined while its first segment was
   * open; the file is then renamed to its final start. Returns the final file name.
   */
  finish(wallOf: (decode: number) => number): string {
    const start = Math.round(wallOf(this.baseDecode));
    this.endMs = Math.max(start + 1, Math.round(wallOf(this.endDecode)));
    if (start !== this.startMs) {
      this.startMs = start;
      this.relPath = segmentRelPath(this.camera, start);
    }
    return resolveInside(this.storage, this.relPath);
  }
}
