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
}

export interface RtspSource {
  port: number;
  /** Process id of the GStreamer server (benchmarks read its CPU time). */
  pid: number | undefined;
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
  /** Whether the server still runs, and the end of what it wrote to stderr (for a failing test). */
  status(): { running: boolean; stderr: string };
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
  const cfg = {
    port: opts.port ?? 0,
    mounts,
    username: opts.username ?? null,
    password: opts.password ?? null,
  };
  const argv = [PYTHON, SCRIPT, JSON.stringify(cfg)];
  const child = opts.nice
    ? spawn('nice', ['-n', String(opts.nice), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = lineReader(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });

  const first = await Promise.race([
    lines.next(),
    once(child, 'exit').then(() => undefined),
    once(child, 'error').then(([e]) => {
      throw new RtspSourceError(`cannot run ${PYTHON}`, { cause: e });
    }),
  ]);
  if (!first) throw new RtspSourceError(`GStreamer RTSP server exited: ${stderr.trim()}`);
  const port = (JSON.parse(first) as { port: number }).port;

  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const command = async (cmd: string): Promise<void> => {
    if (exited) throw new RtspSourceError(`server is gone, cannot ${cmd}`);
    child.stdin?.write(`${cmd}\n`);
    const reply = await lines.next();
    if (!reply) throw new RtspSourceError(`server exited during ${cmd}: ${stderr.trim()}`);
  };
  const auth =
    opts.username !== undefined
      ? `${encodeURIComponent(opts.username)}:${encodeURIComponent(opts.password ?? '')}@`
      : '';

  return {
    port,
    pid: child.pid,
    url: (path = paths[0] ?? 'main') => `rtsp://${auth}127.0.0.1:${port}/${path}`,
    drop: () => command('drop'),
    resume: () => command('resume'),
    showVideos: (videos) =>
      command(
        `mounts ${JSON.stringify(Object.entries(videos).map(([path, v]) => ({ path, launch: loopFileLaunch({ path, ...v }), shared: false })))}`,
      ),
    status: () => ({ running: !exited, stderr }),
    stop: async () => {
      if (exited) return;
      const gone = once(child, 'exit');
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
