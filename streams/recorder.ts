import type { Logger } from 'pino';
import { MediaClock, type Placement } from './recorder-clock.js';
import { OpenSegment } from './recorder-segment.js';
import { CONTIGUOUS_MS, type Segment, type SegmentIndex } from './segment-index.js';
import type { SegmentFiles } from './segment-writer.js';
import type { MediaFragment, MediaInit, StreamConsumer, UpstreamHub, UpstreamState } from './stream-types.js';

export type { MediaFragment, MediaInit, StreamConsumer } from './stream-types.js';

/** The part of the stream hub (issue 7, `upstream-hub.ts`) the recorder uses. */
export type HubLike = Pick<UpstreamHub, 'subscribe'>;

export interface RecorderOptions {
  index: SegmentIndex;
  writer: SegmentFiles;
  /** Storage root a camera's segments go under. */
  storageFor(camera: string): string;
  segmentSeconds: number;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** A segment starting later than this after the previous one ended makes a gap row. */
  gapToleranceMs?: number;
  onSegment?(segment: Segment): void;
  /** A fragment dropped because the writer thread is behind (a disk that cannot keep up). */
  onDropped?(camera: string): void;
  /** A segment's write failed (a full or failing disk): recording starts again at the next keyframe. */
  onFailed?(camera: string): void;
}

interface Waiter {
  toMs: number;
  resolve(): void;
}

/**
 * Records one camera: a consumer of the hub's main stream that cuts segments at keyframes (the
 * stream is copied, never decoded), rebases each segment's timestamps to zero, places it on the wall
 * clock by media time (recorder-clock.ts), hands the bytes to the writer thread and indexes each
 * segment once the thread has flushed it. A reconnect, missing frames or a stalled stream end the
 * segment; the next starts at a keyframe, and the hole between them is a gap row with its reason.
 */
export class CameraRecorder implements StreamConsumer {
  private init: MediaInit | undefined;
  private open: OpenSegment | undefined;
  private readonly clock = new MediaClock();
  private waiters: Waiter[] = [];
  /**
   * Fragments placed `suspect` (later than the clock allows and not catching up: recorder-clock.ts),
   * not yet written: at most a clock window of them.
   */
  private held: { f: MediaFragment; p: Exclude<Placement, { kind: 'cut' }> }[] = [];
  private lastErrorLog = 0;
  /** Why the previous run ended: the reason of the next gap. */
  private lastEnd = 'not recording';
  /** Wall clock where the last segment (closed, maybe not indexed yet) ended. */
  private lastEndMs: number | undefined;
  /** Where the last indexed segment ends (advanced in the index chain, so failed files do not count). */
  private indexedEndMs = 0;
  private recordedEndMs: number | undefined;
  /** Why the recording stopped before a segment (the reason of a gap that ends where it starts). */
  private readonly gapReason = new WeakMap<OpenSegment, string>();
  /** Index writes of this camera, in order (a gap before the segment after it). */
  private chain: Promise<void> = Promise.resolve();
  state: 'waiting' | 'recording' | 'lost' = 'waiting';

  constructor(
    readonly camera: string,
    private readonly o: RecorderOptions,
    /** End of the camera's last indexed segment (from the index at start), for the first gap. */
    lastEndMs?: number,
  ) {
    this.lastEndMs = lastEndMs;
    this.recordedEndMs = lastEndMs;
    this.indexedEndMs = lastEndMs ?? 0;
  }

  onInit(i: MediaInit): void {
    // A new init means a new upstream (reconnect, codec change): fragments after it need it.
    this.endRun(this.state === 'lost' ? this.lastEnd : 'upstream restarted');
    this.init = i;
  }

  onState(state: UpstreamState, detail?: string): void {
    if (state !== 'lost') return;
    this.endRun(`stream lost${detail ? `: ${detail}` : ''}`);
    this.state = 'lost';
  }

  onEnd(reason: string): void {
    this.endRun(`stream ended: ${reason}`);
    this.state = 'lost';
    this.init = undefined;
  }

  onFragment(frag: MediaFragment): void {
    try {
      this.record(frag);
    } catch (err) {
      // Never throw into the hub (it drops a failing consumer for good): recording starts again at
      // the next keyframe.
      this.o.onFailed?.(this.camera);
      this.logError(err, 'recorder: cannot record a fragment; retrying at the next keyframe');
      this.endRun(`recording failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private logError(err: unknown, msg: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 60_000) return;
    this.lastErrorLog = now;
    this.o.log.error({ err, camera: this.camera }, msg);
  }

  private record(f: MediaFragment): void {
    if (!this.init) return;
    const failed = this.open?.failed;
    if (failed) this.writeFailed(failed);
    const p = this.clock.place({ ...f, duration: f.duration ?? 0 });
    if (p.kind === 'cut') {
      // The run's media clock stopped or ran slow while the wall clock ran: what was held since then
      // was taken when it arrived, and starts the new run with this fragment.
      const moved = p.replace ? this.held.splice(0) : [];
      this.o.log.info(
        { camera: this.camera, reason: p.reason, ...(moved.length ? { placedByArrival: moved.length } : {}) },
        'recorder: new run',
      );
      this.endRun(p.reason);
      // Through the same judgement again: a media clock that stays slow makes them late in the new
      // run too, and each run keeps within the clock's limit.
      for (const h of moved) this.record(h.f);
      this.record(f);
      return;
    }
    if (p.suspect) {
      this.held.push({ f, p });
      return;
    }
    this.flushHeld();
    this.write(f, p);
  }

  /** Places `f` on a run that a full writer just ended, and writes it. */
  private placeAndWrite(f: MediaFragment): void {
    const p = this.clock.place({ ...f, duration: f.duration ?? 0 });
    if (p.kind !== 'cut') this.write(f, p);
  }

  /** Writes what was held, where media time put it: its streak ended or was a burst catching up. */
  private flushHeld(): void {
    for (const h of this.held.splice(0)) {
      // A write that ended the run (a full writer) left the rest for a new run.
      if (this.clock.started) this.write(h.f, h.p);
      else this.placeAndWrite(h.f);
    }
  }

  private write(f: MediaFragment, p: Exclude<Placement, { kind: 'cut' }>): void {
    if (p.kind === 'hole') {
      this.closeSegment();
      this.lastEnd = `${Math.round(p.missingMs)} ms of frames missing upstream`;
    }
    const seg = this.open;
    const halfFrame = p.durationMs / 2;
    if (seg && f.keyframe && p.startMs - seg.startMs >= this.o.segmentSeconds * 1000 - halfFrame)
      this.closeSegment();
    if (!this.open) {
      // A segment starts only at a keyframe: without one it would not decode on its own.
      if (!f.keyframe) return;
      this.startSegment(p.startMs, f.decodeTime, f.timescale);
    }
    const open = this.open;
    if (!open) return;
    if (!open.append(f, f.duration ?? 0, this.clock.wallOf(f.decodeTime), p.durationMs)) {
      // A file that failed is a failed write, not a slow disk.
      const failed = open.failed;
      if (failed) {
        this.logError(
          undefined,
          `recorder: segment write failed (${failed.message}); retrying at the next keyframe`,
        );
        this.writeFailed(failed);
        return;
      }
      this.o.onDropped?.(this.camera);
      this.logError(undefined, 'recorder: the segment writer is behind; dropping until the next keyframe');
      this.endRun('the disk could not keep up');
      return;
    }
    this.state = 'recording';
  }

  /**
   * Ends the current run: the segment closes, the next fragment places a new run on the clock. What
   * was held (late, and not catching up) was taken when it arrived: it becomes a run of its own first,
   * after a gap, as a cut would have made it (and again for what that run holds in turn).
   */
  private endRun(reason: string): void {
    // Each round writes at least the fragment that anchors it, so the rounds end.
    while (this.held.length > 0 && this.clock.started) {
      const held = this.held.splice(0);
      const first = held[0]!;
      const lateMs = first.f.wallclock - (first.p.startMs + first.p.durationMs);
      this.closeSegment();
      this.lastEnd = `stream fell ${Math.round(lateMs)} ms behind the wall clock`;
      this.clock.reset();
      for (const h of held) this.record(h.f);
    }
    this.flushHeld();
    this.closeSegment();
    if (this.clock.started) this.lastEnd = reason;
    this.clock.reset();
  }

  private startSegment(startMs: number, decodeTime: number, timescale: number): void {
    const init = this.init;
    if (!init) return;
    // A run never starts before the previous one's recorded end (overlapping footage has no place).
    const start =
      this.lastEndMs === undefined ? startMs : startMs + this.clock.notBefore(decodeTime, this.lastEndMs);
    this.open = new OpenSegment(
      this.o.writer,
      this.o.storageFor(this.camera),
      this.camera,
      Math.round(start),
      decodeTime,
      timescale,
      init.codec,
      init.init,
    );
    this.gapReason.set(this.open, this.lastEnd);
    this.lastEnd = 'not recording';
  }

  /** The open segment's file failed: told (`onFailed`), and the run ends with why. */
  private writeFailed(failed: { message: string }): void {
    this.o.onFailed?.(this.camera);
    this.endRun(`write failed: ${failed.message}`);
  }

  private closeSegment(): void {
    const seg = this.open;
    if (!seg) return;
    this.open = undefined;
    const file = seg.finish((d) => this.clock.wallOf(d));
    this.clock.refinable = false;
    if (seg.fragments > 0) this.lastEndMs = seg.endMs;
    const closed = this.o.writer.close(seg.handle, file);
    this.enqueue(async () => {
      const c = await closed;
      if (c.error) {
        this.o.onFailed?.(this.camera);
        this.logError(c.error, `recorder: segment ${seg.relPath} failed: ${c.error.message}`);
      }
      if (seg.fragments === 0 || c.endMs === 0 || !c.file) return;
      // The gap is decided here, in the index chain, with the segment's final start: a file that
      // failed to write is no footage, and the gap starts where footage on disk ends.
      const prevEnd = this.recordedEndMs;
      if (prevEnd !== undefined && seg.startMs - prevEnd > (this.o.gapToleranceMs ?? CONTIGUOUS_MS))
        await this.o.index.addGap({
          camera: this.camera,
          startMs: prevEnd,
          endMs: seg.startMs,
          reason: this.gapReason.get(seg) ?? 'not recording',
        });
      const row = await this.o.index.addSegment({
        camera: this.camera,
        startMs: seg.startMs,
        // A failed write keeps what was flushed before it.
        endMs: c.error ? Math.min(seg.endMs, Math.round(c.endMs)) : seg.endMs,
        bytes: c.bytes,
        storage: seg.storage,
        path: seg.relPath,
        keyframe: true,
        codec: seg.codec,
        zeroBased: true,
        frames: c.error ? null : seg.frames,
        keyframes: seg.keyframes,
      });
      this.indexedEndMs = Math.max(this.indexedEndMs, row.endMs);
      this.recordedEndMs = row.endMs;
      this.o.onSegment?.(row);
      this.release(row.endMs);
    });
  }

  private enqueue(job: () => Promise<unknown>): void {
    this.chain = this.chain.then(job).then(
      () => undefined,
      (err: unknown) =>
        this.logError(err, 'recorder: could not index a segment (the start-up reconcile will)'),
    );
  }

  /** Footage written to disk so far reached `endMs` (the writer thread says so). */
  written(endMs: number): void {
    if (this.waiters.length > 0) this.release(endMs);
  }

  owns(handle: number): boolean {
    return this.open?.handle === handle;
  }

  private release(coveredMs: number): void {
    const done = this.waiters.filter((w) => w.toMs <= coveredMs);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.toMs > coveredMs);
    for (const w of done) w.resolve();
  }

  /**
   * The segment being written, as a segment row that is not indexed yet: its file is a playable
   * fragmented MP4 of every fragment the writer has flushed, so a clip can include it without
   * waiting for the cut (that is what keeps alarm-to-clip time under a GOP).
   */
  openSegment(): Segment | undefined {
    const o = this.open;
    const end = o?.writtenEndMs ?? 0;
    if (!o || end <= o.startMs) return undefined;
    return {
      id: -1,
      camera: this.camera,
      startMs: o.startMs,
      endMs: Math.round(end),
      bytes: 0,
      storage: o.storage,
      path: o.relPath,
      keyframe: true,
      codec: o.codec,
      zeroBased: true,
      frames: null,
      keyframes: [...o.keyframes],
    };
  }

  /** Resolves once footage up to `toMs` is on disk (indexed or in the open segment), or false at the timeout. */
  waitFor(toMs: number, timeoutMs: number): Promise<boolean> {
    if (this.indexedEndMs >= toMs || (this.openSegment()?.endMs ?? 0) >= toMs) return Promise.resolve(true);
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

  /** Closes the open segment and resolves once every segment of this camera is indexed. */
  async stop(reason = 'recorder stopped'): Promise<void> {
    this.endRun(reason);
    await this.chain;
  }
}

/** Every camera's recorder, each a subscriber of its camera's main stream on the hub. */
export class Recorder {
  private readonly cams = new Map<string, { rec: CameraRecorder; unsubscribe: () => void }>();

  constructor(
    private readonly hub: HubLike,
    private readonly o: RecorderOptions,
  ) {
    o.writer.onWritten = (handle, endMs) => {
      for (const { rec } of this.cams.values()) if (rec.owns(handle)) return rec.written(endMs);
    };
  }

  /** Subscribes each camera (after reading where its recording ended, for the first gap). */
  async start(cameras: string[]): Promise<void> {
    for (const camera of cameras) {
      if (this.cams.has(camera)) continue;
      const last = await this.o.index.lastSegment(camera);
      const rec = new CameraRecorder(camera, this.o, last?.endMs);
      const unsubscribe = this.hub.subscribe(camera, 'main', rec, 'recorder');
      this.cams.set(camera, { rec, unsubscribe });
    }
    this.o.log.info({ cameras: cameras.length }, 'recorder: recording');
  }

  /**
   * Stops recording one camera (issue 16: its lease went to another node): its open segment is
   * closed, flushed and indexed, so the next node's recording begins after it.
   */
  async stopCamera(camera: string): Promise<void> {
    const c = this.cams.get(camera);
    if (!c) return;
    this.cams.delete(camera);
    c.unsubscribe();
    await c.rec.stop('camera recorded by another node');
    this.o.log.info({ camera }, 'recorder: stopped (camera held by another node)');
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

  /** Closes every open segment and waits until each is flushed and indexed. */
  async stop(): Promise<void> {
    const all = [...this.cams.values()];
    this.cams.clear();
    for (const { unsubscribe } of all) unsubscribe();
    await Promise.all(all.map(({ rec }) => rec.stop('service stopped')));
  }
}
