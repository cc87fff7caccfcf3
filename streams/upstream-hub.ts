import { connect } from 'node:net';
import { backoffDelay, seldom } from '../src/cameras/backoff.js';
import { FfmpegUpstream, type UpstreamSource } from './ffmpeg-upstream.js';
import type { ParsedFragment, ParsedInit } from './fmp4.js';
import type {
  MediaFragment,
  MediaInit,
  StreamConsumer,
  StreamName,
  UpstreamHub,
  UpstreamInfo,
  UpstreamState,
} from './stream-types.js';

export type { UpstreamSource } from './ffmpeg-upstream.js';
export type {
  MediaFragment,
  MediaInit,
  StreamConsumer,
  StreamName,
  UpstreamHub,
  UpstreamInfo,
  UpstreamState,
} from './stream-types.js';

export interface HubLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HubOptions {
  /** Where a camera stream comes from; `undefined` when it cannot be reached now (retried). */
  resolve(cameraId: string, stream: StreamName): Promise<UpstreamSource | undefined>;
  log?: HubLog;
  /** Keep an upstream open this long after its last consumer leaves (a tile switching streams). */
  lingerMs?: number;
  /**
   * Reconnect backoff after an upstream fails: initial delay, doubled up to the cap, with equal
   * jitter; the cap grows with the outage (`retryCap`).
   */
  retryMs?: { initial: number; max: number };
  /** How long the TCP knock before a retry waits for the camera to answer (default 3 s). */
  probeMs?: number;
  /** An upstream that sends nothing this long is restarted. */
  stallMs?: number;
  /** Longest fragment ffmpeg writes. */
  fragmentMs?: number;
  /** The last GOP is kept for late joiners up to this size. */
  gopCacheBytes?: number;
  ffmpegPath?: string;
  /** Observability hooks (metrics). */
  onFragment?(cameraId: string, stream: StreamName, f: MediaFragment): void;
  onRestart?(cameraId: string, stream: StreamName, reason: string): void;
}

interface Member {
  consumer: StreamConsumer;
  who: string;
  /** Joined (or re-inited) and waiting for a keyframe before getting fragments. */
  waiting: boolean;
}

const noopLog: HubLog = { info() {}, warn() {} };

/** One camera stream: at most one ffmpeg, fanned out to every member. */
class Upstream {
  readonly members = new Set<Member>();
  state: UpstreamState = 'idle';
  init: MediaInit | undefined;
  timescale = 90000;
  gop: MediaFragment[] = [];
  gopBytes = 0;
  proc: FfmpegUpstream | undefined;
  restarts = 0;
  attempt = 0;
  /** When its current run of failures began (epoch ms). */
  failingSince: number | undefined;
  lastError: string | undefined;
  lastData = 0;
  lingerTimer: NodeJS.Timeout | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  stallTimer: NodeJS.Timeout | undefined;
  generation = 0;

  constructor(
    readonly camera: string,
    readonly stream: StreamName,
  ) {}
}

/**
 * The one place camera connections are made (go2rtc's producer/consumer model): the first consumer
 * of a camera stream opens it, every later one shares it, the last to leave closes it.
 */
export class StreamHub implements UpstreamHub {
  private readonly ups = new Map<string, Upstream>();
  private readonly log: HubLog;
  private readonly lingerMs: number;
  private readonly retry: { initial: number; max: number };
  private readonly stallMs: number;
  private readonly fragmentMs: number;
  private readonly gopCacheBytes: number;
  private readonly probeMs: number;
  private stopping = false;
  private niceWarned = false;

  constructor(private readonly opts: HubOptions) {
    this.log = opts.log ?? noopLog;
    this.lingerMs = opts.lingerMs ?? 3000;
    this.retry = opts.retryMs ?? { initial: 500, max: 10_000 };
    this.stallMs = opts.stallMs ?? 10_000;
    this.probeMs = opts.probeMs ?? 3000;
    this.fragmentMs = opts.fragmentMs ?? 200;
    this.gopCacheBytes = opts.gopCacheBytes ?? 8 * 1024 * 1024;
  }

  subscribe(cameraId: string, stream: StreamName, consumer: StreamConsumer, who: string): () => void {
    if (this.stopping) {
      consumer.onEnd?.('stream hub is stopping');
      return () => {};
    }
    const key = `${cameraId}/${stream}`;
    let up = this.ups.get(key);
    if (!up) {
      up = new Upstream(cameraId, stream);
      this.ups.set(key, up);
    }
    clearTimeout(up.lingerTimer);
    up.lingerTimer = undefined;
    const member: Member = { consumer, who, waiting: true };
    up.members.add(member);
    if (up.init) {
      this.call(up, member, () => consumer.onInit(up.init as MediaInit));
      // Start at once from the cached keyframe; the player catches up with the live edge. Only while
      // live: a lost camera's last GOP replayed to a consumer that joins later reads as fresh video
      // (the watchdog, re-subscribing, took it for the camera's return: loss and restore every few seconds).
      if (up.state === 'live' && up.gop[0]?.keyframe) {
        member.waiting = false;
        for (const f of up.gop) this.call(up, member, () => consumer.onFragment(f));
      }
    }
    if (up.state === 'idle') this.open(up);
    this.call(up, member, () => consumer.onState?.(up.state, up.lastError));
    const upstream = up;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      upstream.members.delete(member);
      this.lingerIfEmpty(upstream);
    };
  }

  private lingerIfEmpty(up: Upstream): void {
    if (up.members.size > 0 || up.lingerTimer || this.stopping) return;
    up.lingerTimer = setTimeout(() => void this.close(up, 'no consumers'), this.lingerMs);
    up.lingerTimer.unref();
  }

  status(cameraId: string): { main: UpstreamState; sub: UpstreamState; consumers: number } {
    const main = this.ups.get(`${cameraId}/main`);
    const sub = this.ups.get(`${cameraId}/sub`);
    return {
      main: main?.state ?? 'idle',
      sub: sub?.state ?? 'idle',
      consumers: (main?.members.size ?? 0) + (sub?.members.size ?? 0),
    };
  }

  /** Every open (or lingering) upstream, for health, metrics and tests. */
  upstreams(): UpstreamInfo[] {
    return [...this.ups.values()].map((u) => ({
      camera: u.camera,
      stream: u.stream,
      state: u.state,
      consumers: [...u.members].map((m) => m.who),
      pid: u.proc?.pid,
      restarts: u.restarts,
      lastError: u.lastError,
    }));
  }

  /** Ends every consumer and stops every ffmpeg (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const up of this.ups.values()) {
      for (const m of [...up.members]) this.call(up, m, () => m.consumer.onEnd?.('stream hub stopped'));
      up.members.clear();
      waits.push(this.close(up, 'service stopping'));
    }
    await Promise.all(waits);
  }

  private open(up: Upstream): void {
    const gen = ++up.generation;
    this.setState(up, 'connecting');
    this.opts
      .resolve(up.camera, up.stream)
      .then((source) => {
        if (gen !== up.generation || this.stopping) return;
        if (!source) return this.failed(up, `no ${up.stream} stream URL for camera ${up.camera}`);
        // After a failure to reach the camera, knock before spawning: a dark camera costs a socket,
        // not an ffmpeg. Only then: a camera that answered (a 404, a stream that ended) is not knocked
        // at, since a connection closed at once is one more thing a camera's RTSP server must survive
        // (GStreamer's 1.22 server here aborts now and then when clients drop abruptly).
        if (up.attempt === 0 || !source.reach || !CANNOT_REACH.test(up.lastError ?? ''))
          return this.spawn(up, source, gen);
        void unreachable(source.reach, this.probeMs).then((why) => {
          if (gen !== up.generation || this.stopping) return;
          if (why) this.failed(up, `camera unreachable (${why})`);
          else this.spawn(up, source, gen);
        });
      })
      .catch((err: unknown) => {
        if (gen === up.generation) this.failed(up, err instanceof Error ? err.message : String(err));
      });
  }

  private spawn(up: Upstream, source: UpstreamSource, gen: number): void {
    this.log.info(
      { camera: up.camera, stream: up.stream, source: source.label },
      'streams: opening upstream',
    );
    up.lastData = Date.now();
    up.proc = new FfmpegUpstream({
      source,
      fragmentMs: this.fragmentMs,
      fastStart: up.attempt === 0,
      ...(this.opts.ffmpegPath ? { ffmpegPath: this.opts.ffmpegPath } : {}),
      onInit: (i) => this.onInit(up, i),
      onFragment: (f) => this.onFragment(up, f),
      onNiceError: (reason) => {
        if (this.niceWarned) return;
        this.niceWarned = true;
        this.log.warn({ reason }, 'streams: camera ffmpeg runs at normal priority (could not lower it)');
      },
      onExit: (reason) => {
        if (gen !== up.generation) return;
        up.proc = undefined;
        clearInterval(up.stallTimer);
        this.failed(up, reason);
      },
    });
    up.stallTimer = setInterval(
      () => {
        if (Date.now() - up.lastData > this.stallMs) void up.proc?.kill(`no data for ${this.stallMs} ms`);
      },
      Math.min(1000, this.stallMs),
    );
    up.stallTimer.unref();
  }

  private onInit(up: Upstream, i: ParsedInit): void {
    up.lastData = Date.now();
    up.init = { codec: i.mime, init: i.data };
    up.timescale = i.timescale;
    up.gop = [];
    up.gopBytes = 0;
    for (const m of up.members) {
      m.waiting = true;
      this.call(up, m, () => m.consumer.onInit(up.init as MediaInit));
    }
  }

  private onFragment(up: Upstream, p: ParsedFragment): void {
    const f: MediaFragment = {
      data: p.data,
      keyframe: p.keyframe,
      wallclock: Date.now(),
      decodeTime: p.decodeTime,
      timescale: up.timescale,
      duration: p.duration,
      samples: p.samples,
    };
    up.lastData = f.wallclock;
    if (up.state !== 'live') {
      up.attempt = 0;
      up.failingSince = undefined;
      up.lastError = undefined;
      this.setState(up, 'live');
    }
    if (f.keyframe) {
      up.gop = [f];
      up.gopBytes = f.data.length;
    } else if (up.gop.length && up.gopBytes + f.data.length <= this.gopCacheBytes) {
      up.gop.push(f);
      up.gopBytes += f.data.length;
    } else {
      up.gop = [];
      up.gopBytes = 0;
    }
    this.opts.onFragment?.(up.camera, up.stream, f);
    for (const m of up.members) {
      if (m.waiting && !f.keyframe) continue;
      m.waiting = false;
      this.call(up, m, () => m.consumer.onFragment(f));
    }
  }

  private failed(up: Upstream, reason: string): void {
    up.lastError = reason;
    // What the camera sent before it went is not what it shows now.
    up.gop = [];
    up.gopBytes = 0;
    if (this.stopping || up.members.size === 0) {
      this.setState(up, 'idle');
      return;
    }
    up.restarts++;
    this.opts.onRestart?.(up.camera, up.stream, reason);
    const now = Date.now();
    up.failingSince ??= now;
    // Jittered: cameras behind one switch that went dark together do not all come back (and spawn
    // their ffmpeg) in the same instant.
    const delay = backoffDelay(up.attempt + 1, {
      baseMs: this.retry.initial,
      capMs: retryCap(now - up.failingSince, this.retry.max),
    });
    up.attempt++;
    // Said when it is lost, then ever more seldom (a day dark is about a dozen lines, not thousands).
    if (seldom(up.attempt))
      this.log.warn(
        { camera: up.camera, stream: up.stream, reason, attempt: up.attempt, retryInMs: delay },
        'streams: upstream lost, reconnecting',
      );
    this.setState(up, 'lost', reason);
    clearTimeout(up.retryTimer);
    up.retryTimer = setTimeout(() => {
      up.retryTimer = undefined;
      if (this.stopping) return;
      if (up.members.size > 0) this.open(up);
      // Nobody to retry for: idle, so a consumer joining before the linger ends opens it again (left
      // 'lost' with no retry pending, it stayed dark for every later consumer until the linger closed it).
      else this.setState(up, 'idle');
    }, delay);
    up.retryTimer.unref();
  }

  private close(up: Upstream, reason: string): Promise<void> {
    up.generation++;
    clearTimeout(up.lingerTimer);
    clearTimeout(up.retryTimer);
    clearInterval(up.stallTimer);
    up.lingerTimer = up.retryTimer = up.stallTimer = undefined;
    const proc = up.proc;
    up.proc = undefined;
    up.init = undefined;
    up.gop = [];
    up.gopBytes = 0;
    up.attempt = 0;
    up.failingSince = undefined;
    this.setState(up, 'idle');
    this.ups.delete(`${up.camera}/${up.stream}`);
    if (proc) this.log.info({ camera: up.camera, stream: up.stream, reason }, 'streams: closing upstream');
    return proc ? proc.kill(reason) : Promise.resolve();
  }

  private setState(up: Upstream, state: UpstreamState, detail?: string): void {
    if (up.state === state) return;
    up.state = state;
    for (const m of up.members) this.call(up, m, () => m.consumer.onState?.(state, detail));
  }

  /** A consumer that throws is dropped; it must not break the others or the upstream. */
  private call(up: Upstream, m: Member, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!up.members.delete(m)) return;
      this.lingerIfEmpty(up);
      this.log.warn(
        { camera: up.camera, stream: up.stream, who: m.who, err },
        'streams: consumer failed, dropped',
      );
      // Told it was dropped: one that keeps its subscription (the camera watchdog) subscribes again
      // instead of waiting for media that will never come.
      try {
        m.consumer.onEnd?.('consumer failed, dropped by the stream hub');
      } catch {
        // It failed again: nothing more to tell it.
      }
    }
  }
}

/** A failure that says nothing answered at the camera's address (ffmpeg's words, or the knock's). */
const CANNOT_REACH =
  /camera unreachable|connection refused|timed out|no route to host|network is unreachable|host is unreachable/i;

/**
 * The longest wait between retries of an upstream failing for `failingMs`: `max` for the first two
 * minutes (a camera back from a short outage is seen within seconds), three times that up to ten
 * minutes, six times beyond. A camera whose server answers but has no stream (a recorder's channel
 * whose camera is gone) costs an ffmpeg at each retry: a recorder's 64 dark channels every 10 s for
 * hours would take most of a core.
 */
export function retryCap(failingMs: number, max: number): number {
  if (failingMs < 120_000) return max;
  return failingMs < 600_000 ? 3 * max : 6 * max;
}

/** Why a TCP connect to the camera failed within `ms`, or undefined when it answered. */
function unreachable(to: { host: string; port: number }, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: to.host, port: to.port });
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer from ${to.host}:${to.port} within ${ms} ms`), ms);
    sock.once('connect', () => done(undefined));
    sock.once('error', (err: NodeJS.ErrnoException) =>
      done(`${err.code ?? err.message} ${to.host}:${to.port}`),
    );
  });
}
