import { closeSync, fdatasyncSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveInside, segmentRelPath } from './segment-paths.js';

/**
 * One segment file being written: the init segment, then whole moof+mdat fragments appended with
 * synchronous writes. Every write leaves a file that ends on a box boundary or inside the last
 * fragment, so a writer that dies still leaves a playable fragmented MP4 (a plain MP4 would have no
 * moov and play nothing).
 */
export class OpenSegment {
  readonly relPath: string;
  readonly file: string;
  private fd: number | undefined;
  bytes = 0;
  fragments = 0;
  /** Wall clock of the last fragment and its duration, for the end time on a stream end. */
  lastWallclock: number;
  lastDurationMs = 0;

  constructor(
    readonly storage: string,
    readonly camera: string,
    readonly startMs: number,
    readonly codec: string,
    init: Buffer,
  ) {
    this.relPath = segmentRelPath(camera, startMs);
    this.file = resolveInside(storage, this.relPath);
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'wx');
    this.lastWallclock = startMs;
    this.write(init);
  }

  append(fragment: Buffer, wallclock: number, durationMs: number): void {
    this.write(fragment);
    this.fragments++;
    this.lastWallclock = wallclock;
    if (durationMs > 0) this.lastDurationMs = durationMs;
  }

  private write(buf: Buffer): void {
    if (this.fd === undefined) return;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.bytes += buf.length;
  }

  /** Flushes to disk and closes; returns the bytes on disk. */
  close(): number {
    if (this.fd === undefined) return this.bytes;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return statSync(this.file).size;
  }
}
