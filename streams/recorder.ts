import { unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import { OpenSegment } from './recorder-segment.js';
import type { Segment, SegmentIndex } from './segment-index.js';
import type { MediaFragment, MediaInit, StreamConsumer, UpstreamHub, UpstreamState } from './stream-types.js';

export type { MediaFragment, MediaInit, StreamConsumer } from './stream-types.js';

/** The part of the stream hub (issue 7, `upstream-hub.ts`) the recorder uses. */
export type HubLike = Pick<UpstreamHub, 'subscribe'>;

export interface RecorderOptions {
  index: SegmentIndex;
  /** Storage root a camera's segments go under. */
  storageFor(camera: string): string;
  segmentSeconds: number;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** A segment starting later than this after the previous one ended makes a gap row. */
  gapToleranceMs?: number;
  onSegment?(segment: Segment): void;
}

interface Waiter {
  toMs: number;
  resolve(): void;
}

/**
 * Records one camera: a consumer of the hub's main stream that cuts segments at keyframes (the
 * stream is copied, never decoded) and indexes each segment the moment it closes.
 */
export class CameraRecorder implements StreamConsumer {
  private init: MediaInit | undefined;
  private open: OpenSegment | undefined;
  private prevDecode: { time: number; timescale: number } | undefined;
  /** Wall clock of a decode time: the hub stamps arrival times, which jitter; media time does not. */
  private anchor: { wall: number; decode: number; timescale: number } | undefined;
  private waiters: Waiter[] = [];
  private lastErrorLog = 0;
  private lastEnd = 'not recording';
  state: 'waiting' | 'recording' | 'lost' = 'waiting';

  constructor(
    readonly camera: string,
    private readonly o: RecorderOptions,
  ) {}

  onInit(i: MediaInit): void {
    // A new init means a new upstream (reconnect, codec change): fragments after it need it.
    if (this.open) this.closeSegment(this.open.lastWallclock + this.open.lastDurationMs);
    this.init = i;
    this.prevDecode = undefined;
    this.anchor = undefined;
  }

  onState(state: UpstreamState, detail?: string): void {
    if (state !== 'lost') return;
    this.lastEnd = `stream lost${detail ? `: ${detail}` : ''}`;
    this.state = 'lost';
    if (this.open) this.closeSegment(this.open.lastWallclock + this.open.lastDurationMs);
  }

  /**
   * Start time of a fragment on the wall clock: anchored on the first fragment after an init and
   * advanced by decode time, re-anchored when it drifts from the arrival time by over 2 s (a stall).
   */
  private wallOf(f: MediaFragment): number {
    const a = this.anchor;
    if (a && a.timescale === f.timescale) {
      const t = a.wall + ((f.decodeTime - a.decode) / f.timescale) * 1000;
      if (Math.abs(t - f.wallclock) <= 2000) return t;
    }
    this.anchor = { wall: f.wallclock, decode: f.decodeTime, timescale: f.timescale };
    return f.wallclock;
  }

  onFragment(frag: MediaFragment): void {
    try {
      this.record(frag);
    } catch (err) {
      // Never throw into the hub (it drops a failing consumer for good): a write error (disk full)
      // closes what was written and recording starts again at the next keyframe.
      const now = Date.now();
      if (now - this.lastErrorLog > 60_000) {
        this.lastErrorLog = now;
        this.o.log.error(
          { err, camera: this.camera },
          'recorder: cannot write a segment; retrying at the next keyframe',
        );
      }
      this.lastEnd = `write failed: ${err instanceof Error ? err.message : String(err)}`;
      const open = this.open;
      if (open) this.closeSegment(open.lastWallclock + open.lastDurationMs);
    }
  }

  private record(frag: MediaFragment): void {
    if (!this.init) return;
    const f = { ...frag, wallclock: this.wallOf(frag) };
    const durationMs =
      this.prevDecode && this.prevDecode.timescale === f.timescale
        ? ((f.decodeTime - this.prevDecode.time) / f.timescale) * 1000
        : 0;
    this.prevDecode = { time: f.decodeTime, timescale: f.timescale };
    const seg = this.open;
    if (seg && durationMs > 0) seg.lastDurationMs = durationMs;
    if (seg && f.keyframe && f.wallclock - seg.startMs >= this.o.segmentSeconds * 1000)
      this.closeSegment(f.wallclock);
    if (!this.open) {
      // A segment starts only at a keyframe: without one it would not decode on its own.
      if (!f.keyframe) return;
      this.startSegment(f.wallclock);
    }
    const open = this.open;
    if (!open) return;
    open.append(f.data, f.wallclock, durationMs);
    this.state = 'recording';
    if (this.waiters.length > 0) this.release(open.lastWallclock + open.lastDurationMs);
  }

  private release(coveredMs: number): void {
    const done = this.waiters.filter((w) => w.toMs <= coveredMs);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.toMs > coveredMs);
    for (const w of done) w.resolve();
  }

  /**
   * The segment being written, as a segment row that is not indexed yet: its file is a playable
   * fragmented MP4 of every whole fragment so far, so a clip can include it without waiting for the
   * cut (that is what keeps alarm-to-clip time under a GOP).
   */
  openSegment(): Segment | undefined {
    const o = this.open;
    if (!o || o.fragments === 0) return undefined;
    return {
      id: -1,
      camera: this.camera,
      startMs: o.startMs,
      endMs: Math.round(o.lastWallclock + o.lastDurationMs),
      bytes: o.bytes,
      storage: o.storage,
      path: o.relPath,
      keyframe: true,
      codec: o.codec,
    };
  }

  onEnd(reason: string): void {
    this.lastEnd = `stream ended: ${reason}`;
    this.state = 'lost';
    if (this.open) this.closeSegment(this.open.lastWallclock + this.open.lastDurationMs);
    this.init = undefined;
  }

  /** Resolves once footage up to `toMs` is on disk (indexed or in the open segment), or false at the timeout. */
  waitFor(toMs: number, timeoutMs: number): Promise<boolean> {
    const last = this.o.index.lastSegment(this.camera);
    if ((last && last.endMs >= toMs) || (this.openSegment()?.endMs ?? 0) >= toMs)
      return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = {
        toMs,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      timer.unref?.();
      this.waiters.push(w);
    });
  }

  /** Closes the open segment (service stop). */
  stop(): void {
    this.lastEnd = 'recorder stopped';
    if (this.open) this.closeSegment(this.open.lastWallclock + this.open.lastDurationMs);
  }

  private startSegment(startMs: number): void {
    const init = this.init;
    if (!init) return;
    const prev = this.o.index.lastSegment(this.camera);
    const tolerance = this.o.gapToleranceMs ?? 1500;
    if (prev && startMs - prev.endMs > tolerance) {
      this.o.index.addGap({ camera: this.camera, startMs: prev.endMs, endMs: startMs, reason: this.lastEnd });
    }
    let start = Math.round(startMs);
    // Two segments of one camera in the same millisecond cannot share a file name.
    if (prev && start <= prev.startMs) start = prev.startMs + 1;
    this.open = new OpenSegment(this.o.storageFor(this.camera), this.camera, start, init.codec, init.init);
    this.lastEnd = 'not recording';
  }

  private closeSegment(endMs: number): void {
    const seg = this.open;
    if (!seg) return;
    this.open = undefined;
    try {
      const bytes = seg.close();
      if (seg.fragments === 0) {
        unlinkSync(seg.file); // init only: nothing to play
        return;
      }
      const row = this.o.index.addSegment({
        camera: this.camera,
        startMs: seg.startMs,
        endMs: Math.max(Math.round(endMs), seg.startMs + 1),
        bytes,
        storage: seg.storage,
        path: seg.relPath,
        keyframe: true,
        codec: seg.codec,
      });
      this.o.onSegment?.(row);
      this.release(row.endMs);
    } catch (err) {
      // The file stays on disk; the start-up reconcile indexes or removes it.
      this.o.log.error({ err, camera: this.camera, file: seg.file }, 'recorder: could not close a segment');
    }
  }
}

/** Every camera's recorder, each a subscriber of its camera's main stream on the hub. */
export class Recorder {
  private readonly cams = new Map<string, { rec: CameraRecorder; unsubscribe: () => void }>();

  constructor(
    private readonly hub: HubLike,
    private readonly o: RecorderOptions,
  ) {}

  start(cameras: string[]): void {
    for (const camera of cameras) {
      if (this.cams.has(camera)) continue;
      const rec = new CameraRecorder(camera, this.o);
      const unsubscribe = this.hub.subscribe(camera, 'main', rec, 'recorder');
      this.cams.set(camera, { rec, unsubscribe });
    }
    this.o.log.info({ cameras: cameras.length }, 'recorder: recording');
  }

  camera(camera: string): CameraRecorder | undefined {
    return this.cams.get(camera)?.rec;
  }

  waitFor(camera: string, toMs: number, timeoutMs: number): Promise<boolean> {
    return this.cams.get(camera)?.rec.waitFor(toMs, timeoutMs) ?? Promise.resolve(false);
  }

  openSegment(camera: string): Segment | undefined {
    return this.cams.get(camera)?.rec.openSegment();
  }

  stop(): void {
    for (const { rec, unsubscribe } of this.cams.values()) {
      unsubscribe();
      rec.stop();
    }
    this.cams.clear();
  }
}
