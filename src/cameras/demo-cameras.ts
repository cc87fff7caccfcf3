import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraSimulator } from '../../drivers/simulator/camera-simulator/camera-simulator.js';
import {
  type LoopVideo,
  type LoopVideoSpec,
  loopVideoCached,
  OPENCV_VTEST,
  prepareLoopVideo,
} from '../../drivers/simulator/loop-video.js';
import {
  type RtspSource,
  type RtspSourceOptions,
  startRtspSource,
} from '../../drivers/simulator/rtsp-source.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

const LOCAL = new Set(['127.0.0.1', 'localhost']);
/** The test pattern while real footage is not there: small and slow enough for a laptop's encoders. */
const DEMO_PATTERN = { width: 640, height: 360, fps: 10 } as const;
/**
 * A first start waits this long for the footage's encoding (2–3 s here, idle): the cameras then start
 * on it. Started on the test pattern and switched, every camera's reader was dropped and each first
 * start logged six cameras lost ("ffmpeg exited (code 0)") seconds after it said it had started.
 */
const FIRST_WAIT_MS = 20_000;

export interface DemoCamerasOptions {
  /** Real footage for the cameras; default Debian opencv-doc's vtest.avi (people walking). */
  video?: string;
  /**
   * Where its pre-encoded loop is kept; default `<os.tmpdir()>/sharpeyes-cache` (made again after a
   * reboot clears it; pass `<dataDir>/cache` to keep it).
   */
  cacheDir?: string;
  /**
   * The service's stop has begun (`Service.stopping`): the footage is not swapped in from then on. A
   * swap drops the readers, and while the stream hub is still up a stop logged six cameras lost
   * ("ffmpeg exited (code 0)") when the first start's encoding ended just after the signal.
   */
  stopping?: AbortSignal;
  /**
   * How long a first start (the footage not yet encoded on this machine) waits for the encoding before
   * the cameras start on the test pattern and are switched when it ends; default `FIRST_WAIT_MS`.
   */
  firstWaitMs?: number;
}

export interface DemoCameras {
  /** Raises motion on a random simulated ONVIF camera (the demo's idle activity). */
  motionSomewhere(): void;
  /** Resolves once the cameras show real footage (or stay on the test pattern, with the reason). */
  footage: Promise<'real' | 'test pattern'>;
  stop(): Promise<void>;
}

/** The cameras of the config that point at this machine, grouped: ONVIF ones and RTSP ones by port. */
function localCameras(cameras: CameraConfig[]) {
  const onvif: { cam: CameraConfig; port: number }[] = [];
  const rtsp = new Map<
    number,
    { cams: CameraConfig[]; paths: string[]; username?: string; password?: string }
  >();
  for (const cam of cameras) {
    if (cam.onvif) {
      const u = new URL(cam.onvif.url);
      if (LOCAL.has(u.hostname)) onvif.push({ cam, port: Number(u.port || 80) });
    } else if (cam.rtsp) {
      const u = new URL(cam.rtsp);
      if (!LOCAL.has(u.hostname)) continue;
      const port = Number(u.port || 554);
      const group = rtsp.get(port) ?? { cams: [], paths: [] };
      group.cams.push(cam);
      group.paths.push(u.pathname.replace(/^\//, '') || 'main');
      if (u.username) {
        group.username = decodeURIComponent(u.username);
        group.password = decodeURIComponent(u.password);
      }
      rtsp.set(port, group);
    }
  }
  return { onvif, rtsp };
}

/**
 * Simulates every camera of the config that points at this machine: an ONVIF simulator on the port
 * of its device URL (credentials from config), or an RTSP source on the port of its URL serving all
 * the paths cameras name on that port. A port something else already listens on (another demo on
 * this machine, most likely: every demo names the same ports) is swapped for a free one, in the
 * camera's URL too, and said in the log; a camera that still cannot be simulated is skipped with a
 * warning, and the registry then reports it offline.
 *
 * The cameras start on the real footage (people walking, for the wall, the recordings and person
 * verification), encoded once per machine and cached; a first start waits for the encoding up to
 * `firstWaitMs`. Past that (a slow machine) they start on the test pattern and the footage is swapped
 * in when ready, without encoding: readers reconnect within a second. Without the footage (no
 * opencv-doc) the test pattern stays.
 */
export async function startDemoCameras(
  cameras: CameraConfig[],
  log: Logger,
  opts: DemoCamerasOptions = {},
): Promise<DemoCameras> {
  const sims: CameraSimulator[] = [];
  const sources: { src: RtspSource; paths: string[] }[] = [];
  const { onvif, rtsp } = localCameras(cameras);
  const abort = new AbortController();
  if (opts.stopping?.aborted) abort.abort();
  else opts.stopping?.addEventListener('abort', () => abort.abort(), { once: true });
  // Footage already encoded (every start but the first on this machine): the cameras start on it.
  // Started on the test pattern and switched a moment later, their servers dropped the readers the
  // registry had just connected, and each start logged cameras lost. A first start encodes it first.
  const cached = await cachedFootage(opts, log);
  const encoding = cached ? Promise.resolve(cached) : encodeFootage(opts, log, abort.signal);
  const first = cached ? { value: cached } : await within(encoding, opts.firstWaitMs ?? FIRST_WAIT_MS);
  const ready = first?.value;
  if (ready && !cached) showsFootage(log, opts, ready);
  else if (!first && !abort.signal.aborted)
    log.info('demo: the footage is still being encoded; cameras start on the test pattern until it is ready');
  for (const { cam, port } of onvif) {
    try {
      const taken = await portTaken(port);
      const sim = new CameraSimulator({
        ...DEMO_PATTERN,
        ...(ready ? { video: { main: ready, sub: ready } } : {}),
        port: taken ? 0 : port,
        name: cam.name ?? cam.id,
        onRtspRestart: restarted(log, { camera: cam.id }),
        ...(cam.onvif?.username !== undefined
          ? { username: cam.onvif.username, password: cam.onvif.password ?? '' }
          : {}),
      });
      sims.push(await sim.start());
      if (taken) movedTo(log, [cam], port, sim.port, { camera: cam.id, taken });
    } catch (err) {
      log.warn({ camera: cam.id, err: errorMessage(err) }, 'demo: cannot simulate camera');
    }
  }
  for (const [port, g] of rtsp) {
    try {
      const taken = await portTaken(port);
      const src = await startRtspSource({
        ...DEMO_PATTERN,
        port: taken ? 0 : port,
        paths: g.paths,
        ...(ready ? { videos: Object.fromEntries(g.paths.map((p) => [p, { file: ready.file }])) } : {}),
        onRestart: restarted(log, { port, paths: g.paths }),
        ...(g.username !== undefined ? { username: g.username, password: g.password ?? '' } : {}),
      });
      sources.push({ src, paths: g.paths });
      if (taken) movedTo(log, g.cams, port, src.port, { paths: g.paths, taken });
    } catch (err) {
      log.warn({ port, paths: g.paths, err: errorMessage(err) }, 'demo: cannot simulate RTSP cameras');
    }
  }
  log.info({ onvif: sims.length, rtsp: sources.length }, 'demo: simulated cameras online');
  const show = async (video: LoopVideo): Promise<'real' | 'test pattern'> => {
    // The service began to stop meanwhile: the readers are not dropped under a hub still up.
    if (abort.signal.aborted) return 'test pattern';
    await Promise.all([
      ...sims.map((s) => s.showVideo({ main: video, sub: video })),
      ...sources.map(({ src, paths }) =>
        src.showVideos(Object.fromEntries(paths.map((p) => [p, { file: video.file }]))),
      ),
    ]);
    showsFootage(log, opts, video);
    return 'real';
  };
  const footage: Promise<'real' | 'test pattern'> = ready
    ? Promise.resolve('real')
    : encoding.then((video) => (video ? show(video) : 'test pattern'));
  return {
    motionSomewhere() {
      const sim = sims[Math.floor(Math.random() * sims.length)];
      sim?.raise('motion');
    },
    footage,
    async stop() {
      // A first start may still be encoding: stop it (the next start encodes again) rather than wait.
      abort.abort();
      await footage;
      await Promise.all([
        ...sims.splice(0).map((s) => s.stop()),
        ...sources.splice(0).map((s) => s.src.stop()),
      ]);
    },
  };
}

/** Why this machine's `port` cannot be listened on (`EADDRINUSE`, `EACCES`), or undefined when it can. */
function portTaken(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(undefined)));
  });
}

/**
 * Points the cameras' URLs at the free port their simulator took instead of `from`: the objects are
 * the service's config, so the camera registry, started after this, connects there.
 */
function movedTo(
  log: Logger,
  cams: CameraConfig[],
  from: number,
  to: number,
  where: Record<string, unknown>,
): void {
  for (const cam of cams) {
    const u = new URL(cam.onvif ? cam.onvif.url : (cam.rtsp ?? ''));
    u.port = String(to);
    if (cam.onvif) cam.onvif.url = u.href;
    else cam.rtsp = u.href;
  }
  log.info(
    { ...where, port: from, now: to },
    `demo: cannot listen on port ${from} (${where['taken']}: another demo on this machine?); simulated on port ${to} instead`,
  );
}

/** The demo's footage: the source, its loop's settings and where the loop is kept. */
function footageOf(opts: DemoCamerasOptions): { spec: LoopVideoSpec; cacheDir: string } {
  return {
    spec: { source: opts.video ?? OPENCV_VTEST, width: 768, height: 576, fps: 10 },
    cacheDir: opts.cacheDir ?? join(tmpdir(), 'sharpeyes-cache'),
  };
}

/** The footage's loop when it is already encoded (reading its length only), else undefined. */
async function cachedFootage(opts: DemoCamerasOptions, log: Logger): Promise<LoopVideo | undefined> {
  const { spec, cacheDir } = footageOf(opts);
  if (!loopVideoCached(spec, cacheDir)) return undefined;
  try {
    const video = await prepareLoopVideo(spec, cacheDir);
    showsFootage(log, opts, video);
    return video;
  } catch {
    return undefined; // a cached file ffprobe cannot read: encoded again
  }
}

/**
 * Encodes the footage once (about 7 s of one core for vtest.avi, 2–3 s of wall time on two; cached),
 * or undefined (said in the log) when it is not there or cannot be encoded. Main and sub streams are
 * the same 768×576 loop: verification samples the sub stream, and people 40–120 pixels tall are what
 * the detector was measured on.
 */
async function encodeFootage(
  opts: DemoCamerasOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<LoopVideo | undefined> {
  const { spec, cacheDir } = footageOf(opts);
  const source = spec.source;
  if (!existsSync(source)) {
    log.warn(
      { video: source },
      'demo: no real footage (install the Debian package opencv-doc for vtest.avi); cameras show the test pattern',
    );
    return undefined;
  }
  log.info({ video: source }, "demo: encoding the cameras' footage, once on this machine");
  try {
    return await prepareLoopVideo(spec, cacheDir, signal);
  } catch (err) {
    if (!signal.aborted)
      log.warn({ err: errorMessage(err) }, 'demo: real footage not available; cameras show the test pattern');
    return undefined;
  }
}

function showsFootage(log: Logger, opts: DemoCamerasOptions, video: LoopVideo): void {
  log.info(
    { video: footageOf(opts).spec.source, loopSeconds: video.seconds },
    'demo: cameras show real footage',
  );
}

/** What `p` resolves to, if it does within `ms`; undefined if it has not by then. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Logs a simulated camera's RTSP server that died and was started again on its port. */
function restarted(log: Logger, where: Record<string, unknown>): RtspSourceOptions['onRestart'] {
  return ({ code, signal, stderr }) =>
    log.warn(
      { ...where, exit: signal ?? code, stderr: stderr.trim().split('\n').slice(-3).join(' | ') },
      'demo: simulated camera server died, starting it again',
    );
}
