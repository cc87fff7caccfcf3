import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RgbImage } from '../../models/image.js';
import { FrameReader } from '../../models/motion-frames.js';
import { errorMessage } from '../errors.js';
import type { Service } from '../service.js';
import { hubFrames, streamsHub, type UpstreamHub } from './hub-frames.js';

/** What the cameras helper publishes as `svc.parts.get('cameras')` (only what this module uses). */
interface CameraRegistry {
  streamUrl(cameraId: string, stream: 'main' | 'sub'): Promise<string | undefined>;
}

/** Recorded segments, as the recording helper's segment index returns them. */
interface RecordedSegment {
  storage: string;
  path: string;
  startMs: number;
  endMs: number;
}
interface SegmentSource {
  segments(camera: string, fromMs: number, toMs: number): RecordedSegment[];
}

/**
 * The RTSP URL of a camera stream: from the camera registry when it runs, else the camera's `rtsp`
 * from config. Carries credentials: never log it unredacted.
 */
export async function cameraUrl(
  svc: Service,
  cameraId: string,
  stream: 'main' | 'sub',
): Promise<string | undefined> {
  const reg = svc.parts.get('cameras') as Partial<CameraRegistry> | undefined;
  if (typeof reg?.streamUrl === 'function') {
    try {
      const url = await reg.streamUrl(cameraId, stream);
      if (url) return url;
    } catch (err) {
      // Fall back to the configured URL: a camera whose ONVIF is down may still stream.
      svc.log.debug({ err: errorMessage(err), camera: cameraId }, 'verification: streamUrl failed');
    }
  }
  return svc.dir?.camera(cameraId)?.rtsp;
}

/** The recording helper's segment index, if it runs (`recordings` part or its `index`). */
function segmentSource(svc: Service): SegmentSource | undefined {
  const part = (svc.parts.get('recording') ?? svc.parts.get('recordings')) as
    | (Partial<SegmentSource> & { index?: Partial<SegmentSource> })
    | undefined;
  if (typeof part?.segments === 'function') return part as SegmentSource;
  if (typeof part?.index?.segments === 'function') return part.index as SegmentSource;
  return undefined;
}

export interface SampleOptions {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** Seconds of recorded footage before `at` to look at, when recordings exist. */
  prerollSeconds: number;
  at: Date;
  /** Aborted when the service stops: sampling ends at once with what it has. */
  signal?: AbortSignal;
}

export interface SampledFrames {
  frames: RgbImage[];
  source: 'recording' | 'live' | 'none';
  error?: string;
}

function collect(
  opts: SampleOptions,
  source: { url: string; inputOptions?: string[] },
  seconds: number,
): Promise<{ frames: RgbImage[]; reason: string }> {
  const frames: RgbImage[] = [];
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const reader = new FrameReader({
      url: source.url,
      ...(source.inputOptions ? { inputOptions: source.inputOptions } : {}),
      width: opts.width,
      height: opts.height,
      fps: opts.fps,
      pixelFormat: 'rgb24',
      keepAspect: true,
      durationSeconds: seconds,
      onFrame: (data) => frames.push({ width: opts.width, height: opts.height, data }),
      onEnd: (reason) => {
        clearTimeout(timer);
        resolve({ frames, reason });
      },
    });
    // A stream that stalls must not hold the verification: give up a while after the sampling time.
    timer = setTimeout(() => void reader.stop(), (seconds + 15) * 1000);
    whenAborted(opts.signal, () => void reader.stop());
  });
}

/** Live frames through the streams hub: `seconds` of wall time or as many frames, whichever first. */
function collectHub(
  hub: UpstreamHub,
  camera: string,
  opts: SampleOptions,
): Promise<{ frames: RgbImage[]; reason: string }> {
  const want = Math.max(1, Math.ceil(opts.seconds * opts.fps));
  const frames: RgbImage[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void reading.stop().then(() => resolve({ frames: frames.slice(0, want), reason }));
    };
    const reading = hubFrames(hub, camera, 'sub', 'verification', {
      width: opts.width,
      height: opts.height,
      fps: opts.fps,
      pixelFormat: 'rgb24',
      keepAspect: true,
      onFrame: (data) => {
        frames.push({ width: opts.width, height: opts.height, data });
        if (frames.length >= want) finish('enough frames');
      },
      onEnd: (reason) => finish(reason),
    });
    // Connecting a camera takes a few seconds; give up on the hub a while after the sampling time.
    const timer = setTimeout(() => finish('timeout'), (opts.seconds + 10) * 1000);
    whenAborted(opts.signal, () => finish('stopping'));
  });
}

/** Runs `fn` once `signal` aborts (at once when it already has). */
function whenAborted(signal: AbortSignal | undefined, fn: () => void): void {
  if (!signal) return;
  if (signal.aborted) fn();
  else signal.addEventListener('abort', fn, { once: true });
}

/**
 * Frames of one camera around an alarm: the preroll from recorded segments when the recorder has
 * them, then live frames (the postroll) of the sub stream: through the streams hub when it runs,
 * else (or when the hub gave nothing) straight from the camera URL.
 */
export async function sampleCamera(
  svc: Service,
  cameraId: string,
  opts: SampleOptions,
): Promise<SampledFrames> {
  const frames: RgbImage[] = [];
  let source: SampledFrames['source'] = 'none';
  const errors: string[] = [];
  const index = segmentSource(svc);
  if (index && opts.prerollSeconds > 0) {
    const toMs = opts.at.getTime();
    const segs = index.segments(cameraId, toMs - opts.prerollSeconds * 1000, toMs);
    if (segs.length > 0) {
      const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-verify-'));
      try {
        const list = join(dir, 'list.ffconcat');
        const lines = segs.map((s) => `file '${join(s.storage, s.path).replace(/'/g, "'\\''")}'`);
        writeFileSync(list, `ffconcat version 1.0\n${lines.join('\n')}\n`);
        const got = await collect(
          opts,
          { url: list, inputOptions: ['-f', 'concat', '-safe', '0'] },
          opts.prerollSeconds,
        );
        frames.push(...got.frames.slice(-Math.ceil(opts.prerollSeconds * opts.fps)));
        if (got.frames.length > 0) source = 'recording';
        else errors.push(`recording: ${got.reason}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const hub = streamsHub(svc);
  const live = hub ? await collectHub(hub, cameraId, opts) : { frames: [], reason: 'no streams hub' };
  frames.push(...live.frames);
  if (live.frames.length > 0 && source === 'none') source = 'live';
  const url =
    live.frames.length > 0
      ? undefined
      : ((await cameraUrl(svc, cameraId, 'sub')) ?? (await cameraUrl(svc, cameraId, 'main')));
  if (live.frames.length > 0) {
    // Live frames came through the hub's shared camera connection.
  } else if (opts.signal?.aborted) {
    errors.push('live: the service is stopping');
  } else if (url) {
    const got = await collect(opts, { url }, opts.seconds);
    frames.push(...got.frames);
    if (got.frames.length > 0 && source === 'none') source = 'live';
    if (got.frames.length === 0)
      errors.push(`live: ${got.reason.replace(/\/\/[^@/\s]*@/g, '//[redacted]@')}`);
  } else {
    errors.push('no stream URL for the camera');
  }
  return { frames, source, ...(errors.length && frames.length === 0 ? { error: errors.join('; ') } : {}) };
}
