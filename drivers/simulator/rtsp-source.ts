import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loopFileLaunch, testPatternLaunch } from './gst-pipelines.js';

/**
 * A real H.264 RTSP/TCP source for tests and the demo: GStreamer's RTSP server (Debian
 * gir1.2-gst-rtsp-server-1.0) run by `/usr/bin/python3` — the Debian python, which has `gi`.
 * Test pattern with a burnt-in wall clock, I420 (yuv420p), baseline profile, keyframe every second;
 * or pre-encoded real footage looped without encoding (`videos`).
 */
export interface RtspSourceOptions {
  /** Main mount size; other mounts (e.g. `sub`) get half of it. Default 1280x720. */
  width?: number;
  height?: number;
  fps?: number;
  /** Mount names, default `['main', 'sub']`. The first one gets the full size. */
  paths?: string[];
  /** Fixed port (demo only); default 0 = a free port chosen by the OS. */
  port?: number;
  /** Require RTSP basic auth; `url()` then carries the credentials. */
  username?: string;
  password?: string;
  /**
   * Serve pre-encoded H.264 files (`prepareLoopVideo`) in a loop instead of the test pattern: mount
   * path → file. Nothing is encoded, so many mounts of one file are cheap; each reader gets its own
   * loop from the file's start. `width`, `height`, `fps` and `paths` are then unused.
   */
  videos?: Record<string, { file: string }>;
  /**
   * Run the server at this niceness (benchmarks: the cameras are other machines, so the simulator
   * takes what CPU is left over rather than competing with what is measured).
   */
  nice?: number;
  /**
   * Start the server again on the same port, serving what it served, if it dies. Default true:
   * Debian's GStreamer 1.22 RTSP server aborts now and then when readers drop abruptly
   * (`gst_rtsp_media_get_rates: assertion failed`), and a camera of the demo or a test would stay
   * dark. Readers see the camera drop and come back, as a real camera that rebooted.
   */
  restart?: boolean;
  /** Told of each death before the restart (the demo logs it). */
  onRestart?: (info: { code: number | null; signal: NodeJS.Signals | null; stderr: string }) => void;
}

export interface RtspSource {
  port: number;
  /** Process id of the GStreamer server (benchmarks read its CPU time); a new one after a restart. */
  readonly pid: number | undefined;
  /** `rtsp://[user:pass@]127.0.0.1:port/path` */
  url(path?: string): string;
  /** Unmount every path and disconnect every reader: readers see the stream end, reconnects get 404. */
  drop(): Promise<void>;
  /** Mount again after `drop()`. */
  resume(): Promise<void>;
  /**
   * Serves other pre-encoded files on the same port (the demo swaps its test pattern for real footage
   * once the footage is encoded): every mount is replaced, readers are disconnected and reconnect.
   */
  showVideos(videos: Record<string, { file: string }>): Promise<void>;
  /**
   * Whether the server runs, the end of what it wrote to stderr (with how earlier runs ended), and
   * how many times it was started again (for a failing test).
   */
  status(): { running: boolean; stderr: string; restarts: number };
  stop(): Promise<void>;
}

export class RtspSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`rtsp-source: ${message}`, options);
    this.name = 'RtspSourceError';
  }
}

const SCRIPT = fileURLToPath(new URL('./rtsp-source.py', import.meta.url));
const PYTHON = process.env.SHARPEYES_GST_PYTHON ?? '/usr/bin/python3';

export async function startRtspSource(opts: RtspSourceOptions = {}): Promise<RtspSource> {
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const videos = opts.videos ? Object.entries(opts.videos) : undefined;
  const paths = videos ? videos.map(([path]) => path) : (opts.paths ?? ['main', 'sub']);
  const fps = opts.fps ?? 15;
  const mounts = videos
    ? videos.map(([path, v]) => ({ path, launch: loopFileLaunch({ path, ...v }), shared: false }))
    : paths.map((path, i) => ({
        path,
        launch: testPatternLaunch({
          path,
          fps,
          // x264 wants even dimensions.
          width: i === 0 ? width : Math.max(2, Math.round(width / 4) * 2),
          height: i === 0 ? height : Math.max(2, Math.round(height / 4) * 2),
        }),
      }));
  // What a restarted server must serve: kept up to date by every command before it is sent.
  const cfg: ServerConfig = {
    port: opts.port ?? 0,
    mounts,
    username: opts.username ?? null,
    password: opts.password ?? null,
    dropped: false,
  };
  let server = await launch(cfg, opts.nice);
  cfg.port = server.port;

  let stopping = false;
  let restarts = 0;
  let lastCrash = '';
  let ready: Promise<void> = Promise.resolve();
  const relaunch = async (): Promise<void> => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        const next = await launch(cfg, opts.nice);
        if (stopping) {
          await next.stop();
          return;
        }
        server = next;
        supervise(next);
        return;
      } catch (err) {
        lastCrash = `${lastCrash}\nrestart ${attempt + 1} failed: ${(err as Error).message}`.slice(-4000);
        await new Promise((r) => setTimeout(r, Math.min(RESTART_MS * 2 ** attempt, RESTART_CAP_MS)));
      }
    }
  };
  const supervise = (s: Server): void => {
    void s.gone.then(({ code, signal }) => {
      if (stopping || opts.restart === false) return;
      restarts++;
      lastCrash = `exited (${signal ?? `code ${code}`}) and was started again: ${s.stderr().trim()}`.slice(
        -4000,
      );
      opts.onRestart?.({ code, signal, stderr: s.stderr() });
      ready = relaunch();
    });
  };
  supervise(server);

  const command = async (cmd: string, change: () => void): Promise<void> => {
    await ready;
    change();
    const s = server;
    if (s.exited() && opts.restart === false) throw new RtspSourceError(`server is gone, cannot ${cmd}`);
    if (await s.command(cmd)) return;
    // It died under the command: the restarted server starts from `cfg`, which has the change.
    if (opts.restart === false || stopping)
      throw new RtspSourceError(`server exited during ${cmd}: ${s.stderr().trim()}`);
    await ready;
  };
  const auth =
    opts.username !== undefined
      ? `${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password ?? '')}@`
      : '';

  return {
    port: server.port,
    get pid() {
      return server.child.pid;
    },
    url: (path = paths[0] ?? 'main') => `rtsp://${auth}127.0.0.1:${cfg.port}/${path}`,
    drop: () =>
      command('drop', () => {
        cfg.dropped = true;
      }),
    resume: () =>
      command('resume', () => {
        cfg.dropped = false;
      }),
    showVideos: (videos) => {
      const next = Object.entries(videos).map(([path, v]) => ({
        path,
        launch: loopFileLaunch({ path, ...v }),
        shared: false,
      }));
      return command(`mounts ${JSON.stringify(next)}`, () => {
        cfg.mounts = next;
        cfg.dropped = false;
      });
    },
    status: () => ({
      running: !server.exited(),
      stderr: lastCrash ? `${lastCrash}\n${server.stderr()}`.slice(-4000) : server.stderr(),
      restarts,
    }),
    stop: async () => {
      stopping = true;
      await ready;
      await server.stop();
    },
  };
}

/** First wait before starting a crashed server again, doubled per failed start up to the cap. */
const RESTART_MS = 250;
const RESTART_CAP_MS = 5000;

interface ServerConfig {
  port: number;
  mounts: Array<{ path: string; launch: string; shared?: boolean }>;
  username: string | null;
  password: string | null;
  dropped: boolean;
}

/** One run of rtsp-source.py, bound and serving. */
interface Server {
  child: ChildProcess;
  port: number;
  /** Sends a command; false if the server exited before answering. */
  command(cmd: string): Promise<boolean>;
  exited(): boolean;
  gone: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  stop(): Promise<void>;
}

async function launch(cfg: ServerConfig, nice: number | undefined): Promise<Server> {
  const argv = [PYTHON, SCRIPT, JSON.stringify(cfg)];
  const child = nice
    ? spawn('nice', ['-n', String(nice), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  // A command written as the server dies fails with EPIPE: the exit says the rest.
  child.stdin?.on('error', () => {});
  const lines = lineReader(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  let exited = false;
  const gone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );

  const first = await Promise.race([
    lines.next(),
    gone.then(() => undefined),
    once(child, 'error').then(([e]) => {
      throw new RtspSourceError(`cannot run ${PYTHON}`, { cause: e });
    }),
  ]);
  if (!first) throw new RtspSourceError(`GStreamer RTSP server exited: ${stderr.trim()}`);
  const port = (JSON.parse(first) as { port: number }).port;

  return {
    child,
    port,
    exited: () => exited,
    gone,
    stderr: () => stderr,
    command: async (cmd) => {
      if (exited) return false;
      child.stdin?.write(`${cmd}\n`);
      return (await lines.next()) !== undefined;
    },
    stop: async () => {
      if (exited) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Hands out stdout lines one at a time; `undefined` once the process is gone. */
function lineReader(child: ChildProcess): { next(): Promise<string | undefined> } {
  const queue: string[] = [];
  const waiters: Array<(l: string | undefined) => void> = [];
  let buf = '';
  let ended = false;
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(line);
      else queue.push(line);
      nl = buf.indexOf('\n');
    }
  });
  child.once('exit', () => {
    ended = true;
    for (const w of waiters.splice(0)) w(undefined);
  });
  return {
    next: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
