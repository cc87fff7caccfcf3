import type { MediaFragment, MediaInit, StreamConsumer, UpstreamState } from './upstream-hub.js';

/**
 * What a live session writes to: a WebSocket in the service, anything with the same shape in tests.
 * `bufferedAmount` is the bytes accepted but not yet handed to the kernel.
 */
export interface LiveSink {
  readonly bufferedAmount: number;
  sendText(text: string): void;
  sendBinary(data: Buffer, sent: (err?: Error | null) => void): void;
  /** A text message then a binary one, in one write if the sink can (default: the two calls above). */
  sendTextThenBinary?(text: string, data: Buffer, sent: (err?: Error | null) => void): void;
  close(code: number, reason: string): void;
}

/** Text messages of the live protocol (DESIGN.md: codec first, then binary fMP4). */
export type LiveMessage =
  | { type: 'init'; codec: string; camera: string; stream: string; serverTime: number }
  | {
      type: 'fragment';
      wallclock: number;
      decodeTime: number;
      timescale: number;
      keyframe: boolean;
      skipped: number;
    }
  | { type: 'state'; state: UpstreamState; detail?: string }
  | { type: 'end'; reason: string };

export interface LiveSessionOptions {
  camera: string;
  stream: string;
  /** Above this many queued bytes the viewer is slow: drop fragments until the next keyframe. */
  highWaterBytes?: number;
  /** Past this the viewer is hopeless (or gone): close it. */
  closeBytes?: number;
  now?: () => number;
  /**
   * Interleave JSON metadata for the console's player (`?meta=1`): a timing header before each
   * keyframe fragment and upstream state changes. Off by default, so a plain client gets exactly
   * DESIGN.md's stream: one JSON text message with the codec, then binary fMP4.
   */
  meta?: boolean;
  /** Time from a fragment's arrival at the hub to its hand-off to the socket, in ms. */
  onSent?(ms: number): void;
  onSkip?(fragments: number): void;
}

/**
 * One viewer of one camera stream. With `meta`, every keyframe fragment is preceded by a small JSON
 * header (its hub arrival time and decode time) so the player can show its latency. A viewer that falls behind is
 * never buffered without bound: it skips to the next keyframe and the player jumps the gap.
 */
export class LiveSession implements StreamConsumer {
  private skipping = false;
  private skipped = 0;
  private initSent = false;
  private closed = false;
  private readonly high: number;
  private readonly closeAt: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: LiveSink,
    private readonly opts: LiveSessionOptions,
  ) {
    this.high = opts.highWaterBytes ?? 1024 * 1024;
    this.closeAt = opts.closeBytes ?? 16 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Fragments dropped for this viewer so far. */
  get dropped(): number {
    return this.skipped;
  }

  onInit(i: MediaInit): void {
    if (this.closed) return;
    this.text({
      type: 'init',
      codec: i.codec,
      camera: this.opts.camera,
      stream: this.opts.stream,
      serverTime: this.now(),
    });
    this.sink.sendBinary(i.init, () => {});
    this.initSent = true;
    // Whatever was queued belonged to the previous init; the next fragment is a keyframe anyway.
    this.skipping = false;
  }

  onFragment(f: MediaFragment): void {
    if (this.closed || !this.initSent) return;
    const queued = this.sink.bufferedAmount;
    if (queued > this.closeAt) {
      this.end(`viewer is ${queued} bytes behind`, 1008);
      return;
    }
    if (this.skipping && (!f.keyframe || queued > this.high / 2)) {
      this.skip();
      return;
    }
    if (!this.skipping && queued > this.high) {
      this.skipping = true;
      this.skip();
      return;
    }
    this.skipping = false;
    const sent = (err?: Error | null) => {
      if (!err) this.opts.onSent?.(this.now() - f.wallclock);
    };
    // Once a second is enough for the player's latency figure; a header per fragment per viewer
    // would double the sends of a 64-viewer camera.
    if (!f.keyframe || !this.opts.meta) {
      this.sink.sendBinary(f.data, sent);
      return;
    }
    const header = JSON.stringify({
      type: 'fragment',
      wallclock: f.wallclock,
      decodeTime: f.decodeTime,
      timescale: f.timescale,
      keyframe: f.keyframe,
      skipped: this.skipped,
    } satisfies LiveMessage);
    if (this.sink.sendTextThenBinary) {
      this.sink.sendTextThenBinary(header, f.data, sent);
    } else {
      this.sink.sendText(header);
      this.sink.sendBinary(f.data, sent);
    }
  }

  onState(state: UpstreamState, detail?: string): void {
    // The protocol starts with the codec message: states before it are left to the REST status.
    if (this.closed || !this.initSent || !this.opts.meta) return;
    this.text(detail ? { type: 'state', state, detail } : { type: 'state', state });
  }

  onEnd(reason: string): void {
    this.end(reason, 1001);
  }

  /** The viewer went away: stop sending. */
  detach(): void {
    this.closed = true;
  }

  private skip(): void {
    this.skipped++;
    this.opts.onSkip?.(1);
  }

  private end(reason: string, code: number): void {
    if (this.closed) return;
    this.text({ type: 'end', reason });
    this.closed = true;
    this.sink.close(code, reason.slice(0, 120));
  }

  private text(m: LiveMessage): void {
    this.sink.sendText(JSON.stringify(m));
  }
}
