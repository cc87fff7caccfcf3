import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { lowerChild } from '../streams/child-nice.js';
import { inputArgs } from './image.js';
import { ModelError } from './model-error.js';

export interface FrameReaderOptions {
  /** URL or file ffmpeg opens; omit to decode what is written to `input()` (e.g. fMP4 fragments). */
  url?: string;
  width: number;
  height: number;
  fps: number;
  /** ffmpeg options placed before the input, e.g. `['-f', 'concat', '-safe', '0']`. */
  inputOptions?: readonly string[];
  /** `gray` for motion (1 byte a pixel), `rgb24` for the detector. */
  pixelFormat: 'gray' | 'rgb24';
  /** Stop after this many seconds of input (sampling a clip). */
  durationSeconds?: number;
  /**
   * Scale into width×height keeping the picture's aspect ratio, with black bars (a 4:3 camera in a
   * 16:9 frame): people keep their shape for the detector. Default: stretch to width×height.
   */
  keepAspect?: boolean;
  onFrame(frame: Uint8Array): void;
  onEnd?(reason: string): void;
}

/**
 * Decodes a stream to small raw frames at a low rate with one ffmpeg: `-vf fps,scale` then rawvideo on
 * stdout, cut into frames here. Decoding at 160×90 and 2–5 fps is what keeps motion cheap.
 */
export class FrameReader {
  private readonly proc: ChildProcess;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stopped = false;
  private readonly frameBytes: number;
  private stderr = '';

  constructor(private readonly opts: FrameReaderOptions) {
    const bpp = opts.pixelFormat === 'gray' ? 1 : 3;
    this.frameBytes = opts.width * opts.height * bpp;
    const args = ['-hide_banner', '-loglevel', 'error', ...(opts.url ? ['-nostdin'] : [])];
    // On a pipe ffmpeg would otherwise read seconds of stream to probe it before the first frame.
    const pipeInput = ['-probesize', '65536', '-analyzeduration', '0', '-i', 'pipe:0'];
    args.push(...(opts.inputOptions ?? []), ...(opts.url ? inputArgs(opts.url) : pipeInput));
    if (opts.durationSeconds !== undefined) args.push('-t', String(opts.durationSeconds));
    const { width: w, height: h } = opts;
    const scale = opts.keepAspect
      ? `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`
      : `scale=${w}:${h}`;
    args.push(
      ...['-an', '-vf', `fps=${opts.fps},${scale}`],
      ...['-f', 'rawvideo', '-pix_fmt', opts.pixelFormat, 'pipe:1'],
    );
    this.proc = spawn('ffmpeg', args, { stdio: [opts.url ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    lowerChild(this.proc.pid);
    this.proc.stdin?.on('error', () => undefined); // ffmpeg gone: its exit reports why.
    (this.proc.stdout as Readable).on('data', (b: Buffer) => this.onData(b));
    (this.proc.stderr as Readable).on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-500);
    });
    this.proc.on('error', (err) => this.finish(`ffmpeg failed to start: ${err.message}`));
    this.proc.on('close', (code) =>
      this.finish(code === 0 ? 'end' : `ffmpeg exited ${code}: ${this.stderr.trim().slice(-200)}`),
    );
  }

  /** Process id of the decoder (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Feeds container bytes (init segment, then fragments) when reading from stdin. */
  input(chunk: Uint8Array): void {
    if (this.stopped || !this.proc.stdin) return;
    // Drop input rather than buffer without bound when the decoder falls behind: motion can skip.
    if (this.proc.stdin.writableLength > 8 * 1024 * 1024) return;
    this.proc.stdin.write(chunk);
  }

  /** Closes stdin so ffmpeg drains what it has. */
  endInput(): void {
    this.proc.stdin?.end();
  }

  private onData(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
    while (this.pendingBytes >= this.frameBytes) {
      const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      const frame = new Uint8Array(all.subarray(0, this.frameBytes));
      const rest = all.subarray(this.frameBytes);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
      this.opts.onFrame(frame);
    }
  }

  private finish(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.onEnd?.(reason);
  }

  /** Stops ffmpeg (SIGTERM, SIGKILL if it lingers); resolves when it has exited. */
  stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
      this.proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.proc.stdin?.destroy();
      this.proc.kill('SIGTERM');
    });
  }
}

/** Reads every frame of a bounded source (a file or a clip) into memory. */
export function readFrames(opts: Omit<FrameReaderOptions, 'onFrame' | 'onEnd'>): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const frames: Uint8Array[] = [];
    new FrameReader({
      ...opts,
      onFrame: (f) => frames.push(f),
      onEnd: (reason) =>
        reason === 'end' || frames.length > 0 ? resolve(frames) : reject(new ModelError(reason)),
    });
  });
}
