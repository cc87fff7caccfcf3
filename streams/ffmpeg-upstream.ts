import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { parseRtspUrl } from '../drivers/rtsp/rtsp-url.js';
import { FFMPEG_NICE, lowerChild } from './child-nice.js';
import { Fmp4Splitter, type ParsedFragment, type ParsedInit } from './fmp4.js';
import { mediaLane } from './media-lane.js';

/** How ffmpeg reads a camera stream: input arguments and (by default) a stream copy. */
export interface UpstreamSource {
  /** ffmpeg arguments up to and including `-i <url>`. */
  input: string[];
  /** Video codec arguments; default `-c:v copy` (media is copied, never re-encoded). */
  codec?: string[];
  /** What to log for this source (a URL without credentials). */
  label: string;
  /**
   * Where the camera listens (an RTSP URL's host and port). After a failure the hub first tries a
   * TCP connect there and spawns ffmpeg only if it answers: a dark camera then costs a socket attempt,
   * not a process (about 80 ms of CPU each), every few seconds.
   */
  reach?: { host: string; port: number };
}

/** Input arguments for a camera URL: RTSP over TCP with a socket timeout, anything else as is. */
export function urlSource(url: string, label = url): UpstreamSource {
  const rtsp = url.startsWith('rtsp://') || url.startsWith('rtsps://');
  const input = rtsp ? ['-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', url] : ['-i', url];
  return { input, label, ...(rtsp ? reachOf(url) : {}) };
}

function reachOf(url: string): { reach?: { host: string; port: number } } {
  try {
    const { host, port } = parseRtspUrl(url);
    return host ? { reach: { host, port } } : {};
  } catch {
    return {};
  }
}

export interface FfmpegUpstreamOptions {
  source: UpstreamSource;
  /** Longest fragment ffmpeg writes, so a viewer never waits a whole GOP for data. */
  fragmentMs: number;
  /** Probe briefly (see ffmpegArgs). */
  fastStart?: boolean;
  ffmpegPath?: string;
  onInit(init: ParsedInit): void;
  onFragment(fragment: ParsedFragment): void;
  /** Called once, when the process has exited (for any reason). */
  onExit(reason: string): void;
  /**
   * How much nicer than the service ffmpeg runs (default CAMERA_NICE; at most 19). On a busy machine
   * the alarm thread then gets the CPU first when a panic wakes it, and a camera's bytes wait a
   * moment in its pipe instead.
   */
  nice?: number;
  /** Told if the niceness could not be set (the camera still streams, at normal priority). */
  onNiceError?(reason: string): void;
}

/**
 * Camera ffmpeg processes run below the service: 32 of them stream-copying on two cores are
 * runnable most of the time, and at the same priority the scheduler let a panic's wake-up wait
 * behind them. A stream copy needs little CPU and a pipe holds seconds of video, so they lose nothing
 * that matters by waiting; the alarm path's thread keeps its normal priority.
 */
export const CAMERA_NICE = FFMPEG_NICE;

/**
 * `fastStart` probes half a second of input instead of ffmpeg's default (about two seconds here),
 * so the first picture is on the wall a second sooner. A camera whose SDP carries no SPS/PPS may
 * need the full probe: the hub uses it on every retry after a failed start.
 */
export function ffmpegArgs(source: UpstreamSource, fragmentMs: number, fastStart = false): string[] {
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', 'nobuffer'],
    ...(fastStart ? ['-analyzeduration', '500000'] : []),
    ...source.input,
    ...['-map', '0:v:0', '-an'],
    ...(source.codec ?? ['-c:v', 'copy']),
    ...['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof'],
    ...['-frag_duration', String(fragmentMs * 1000), 'pipe:1'],
  ];
}

/**
 * One ffmpeg process pulling one camera stream and writing fragmented MP4 to stdout, split into the
 * init segment and fragments as they arrive.
 */
export class FfmpegUpstream {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly stderrTail: string[] = [];
  private exited = false;
  private killReason: string | undefined;
  readonly exitedPromise: Promise<void>;

  constructor(opts: FfmpegUpstreamOptions) {
    this.child = spawn(
      opts.ffmpegPath ?? 'ffmpeg',
      ffmpegArgs(opts.source, opts.fragmentMs, opts.fastStart),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const refused = lowerChild(this.child.pid, opts.nice ?? CAMERA_NICE);
    if (refused) opts.onNiceError?.(refused);
    const splitter = new Fmp4Splitter({ onInit: opts.onInit, onFragment: opts.onFragment });
    const push = (chunk: Buffer) => {
      if (this.killReason) return;
      try {
        splitter.push(chunk);
      } catch (err) {
        // A stream we cannot frame is useless; restart it rather than guess.
        this.kill(err instanceof Error ? err.message : String(err));
      }
    };
    // Read in the poll phase, beside the panels' sockets; split in the lane's turn (see MediaLane).
    this.child.stdout.on('data', (chunk: Buffer) => mediaLane.run(() => push(chunk)));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      for (const line of text.split('\n')) {
        // ffmpeg prints the input URL in some errors: keep only credential-free text.
        if (line.trim()) this.stderrTail.push(line.replace(/(\w+:\/\/)([^@/\s]+)@/g, '$1[redacted]@'));
      }
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 5));
    });
    this.exitedPromise = new Promise((resolve) => {
      const done = (reason: string) => {
        if (this.exited) return;
        this.exited = true;
        opts.onExit(this.killReason ?? reason);
        resolve();
      };
      // Through the lane too: the exit is reported after the last chunk ffmpeg wrote was split.
      this.child.once('error', (err) => mediaLane.run(() => done(`ffmpeg failed to start: ${err.message}`)));
      this.child.once('close', (code, signal) => {
        const tail = this.stderrTail.join(' | ');
        mediaLane.run(() => done(`ffmpeg exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** SIGTERM, then SIGKILL if ffmpeg has not exited after `graceMs`; resolves once it has exited. */
  kill(reason: string, graceMs = 2000): Promise<void> {
    if (this.exited) return Promise.resolve();
    this.killReason ??= reason;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, graceMs);
    timer.unref();
    return this.exitedPromise.finally(() => clearTimeout(timer));
  }
}
