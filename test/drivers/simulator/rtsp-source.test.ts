import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../../drivers/simulator/rtsp-source.js';

const run = promisify(execFile);

async function probe(url: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-analyzeduration', '1000000', '-probesize', '500000'],
      ...['-show_entries', 'stream=codec_name,width,height,pix_fmt,r_frame_rate', '-of', 'json', url],
    ],
    { timeout: 15_000 },
  );
  const streams = (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams;
  return streams[0] ?? {};
}

async function probeError(url: string): Promise<string> {
  try {
    await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url], { timeout: 15_000 });
    return 'no error';
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
}

describe('startRtspSource', () => {
  let src: RtspSource;
  beforeAll(async () => {
    src = await startRtspSource({ width: 320, height: 180, fps: 10, paths: ['main', 'sub'] });
  });
  afterAll(async () => {
    await src.stop();
  });

  it.each([
    ['main', 320, 180],
    ['sub', 160, 90],
  ])('serves H.264 yuv420p on /%s at %dx%d', async (path, width, height) => {
    expect(src.url(path)).toBe(`rtsp://127.0.0.1:${src.port}/${path}`);
    expect(await probe(src.url(path))).toEqual({
      codec_name: 'h264',
      width,
      height,
      pix_fmt: 'yuv420p',
      r_frame_rate: '10/1',
    });
  });

  it('sends a keyframe every second of media time', async () => {
    const { stdout } = await run(
      'ffprobe',
      [
        ...['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0', '-read_intervals', '%+3.5'],
        ...['-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', src.url('main')],
      ],
      { timeout: 15_000 },
    );
    // Media timestamps, not wall-clock: a loaded machine delays packets but not their pts.
    const keys = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(','))
      .filter(([, flags]) => flags?.startsWith('K'))
      .map(([pts]) => Number(pts))
      // The first packet after connecting may carry no pts (N/A).
      .filter((t) => Number.isFinite(t));
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < keys.length; i++) expect(keys[i]! - keys[i - 1]!).toBeCloseTo(1, 1);
  });

  it('drop ends a running reader and refuses new ones until resume', async () => {
    const reader = spawn('ffmpeg', [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-i',
      src.url('main'),
      '-f',
      'null',
      '-',
    ]);
    // Let it connect and decode before pulling the plug.
    await new Promise((r) => setTimeout(r, 1500));
    expect(reader.exitCode).toBeNull();
    const exited = once(reader, 'exit');
    await src.drop();
    const watchdog = setTimeout(() => reader.kill('SIGKILL'), 10_000);
    const [, signal] = (await exited) as [number | null, string | null];
    clearTimeout(watchdog);
    expect(signal).toBeNull();
    expect(await probeError(src.url('main'))).toContain('404');
    await src.resume();
    expect((await probe(src.url('main'))).codec_name).toBe('h264');
  });
});

describe('startRtspSource on a taken port', () => {
  it('rejects with the reason', async () => {
    const first = await startRtspSource({ width: 160, height: 90, fps: 5, paths: ['main'] });
    try {
      await expect(startRtspSource({ port: first.port, paths: ['main'] })).rejects.toThrow(/cannot listen/);
    } finally {
      await first.stop();
    }
  });
});

describe('startRtspSource with credentials', () => {
  let src: RtspSource;
  beforeAll(async () => {
    src = await startRtspSource({
      width: 160,
      height: 90,
      fps: 5,
      paths: ['live'],
      username: 'cam',
      password: 'p@ss',
    });
  });
  afterAll(async () => {
    await src.stop();
  });

  it('refuses readers without credentials and admits the ones in url()', async () => {
    expect(src.url('live')).toBe(`rtsp://cam:p%40ss@127.0.0.1:${src.port}/live`);
    expect(await probeError(`rtsp://127.0.0.1:${src.port}/live`)).toContain('401');
    expect((await probe(src.url('live'))).codec_name).toBe('h264');
  });
});

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something accepts TCP connections on the port. */
async function listening(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

describe('startRtspSource when the server dies', () => {
  // GStreamer 1.22's RTSP server aborts now and then when readers are killed
  // (`gst_rtsp_media_get_rates: assertion failed`): SIGABRT is that death.
  it('starts it again on the same port, serving the same mounts, and says so', async () => {
    const deaths: Array<NodeJS.Signals | null> = [];
    const src = await startRtspSource({
      width: 160,
      height: 90,
      fps: 5,
      paths: ['main'],
      onRestart: ({ signal }) => deaths.push(signal),
    });
    try {
      const first = src.pid;
      process.kill(first!, 'SIGABRT');
      await until('the restart', () => src.status().restarts === 1 && src.status().running);
      expect(deaths).toEqual(['SIGABRT']);
      expect(src.pid).not.toBe(first);
      expect(src.status().stderr).toContain('exited (SIGABRT) and was started again');
      expect(await probe(src.url('main'))).toMatchObject({ codec_name: 'h264', width: 160, height: 90 });
    } finally {
      await src.stop();
    }
  });

  it('keeps a drop through the restart, and takes a command sent while it restarts', async () => {
    const src = await startRtspSource({ width: 160, height: 90, fps: 5, paths: ['main'] });
    try {
      await src.drop();
      process.kill(src.pid!, 'SIGABRT');
      await until('the restart', () => src.status().restarts === 1 && src.status().running);
      expect(await probeError(src.url('main'))).toContain('404');

      const dying = src.pid!;
      process.kill(dying, 'SIGABRT');
      // Sent as it dies: the command lands on the dying server or waits for the new one.
      await src.resume();
      expect(src.pid).not.toBe(dying);
      expect(src.status().restarts).toBe(2);
      expect((await probe(src.url('main'))).codec_name).toBe('h264');
    } finally {
      await src.stop();
    }
  });

  it('stays dead with restart: false', async () => {
    const src = await startRtspSource({ width: 160, height: 90, fps: 5, paths: ['main'], restart: false });
    try {
      process.kill(src.pid!, 'SIGABRT');
      await until('the death', () => !src.status().running);
      await expect(src.drop()).rejects.toThrow(/server is gone/);
      await new Promise((r) => setTimeout(r, 1000));
      expect(src.status()).toMatchObject({ running: false, restarts: 0 });
      expect(await listening(src.port)).toBe(false);
    } finally {
      await src.stop();
    }
  });

  it('is not started again after stop, even when stop comes as it dies', async () => {
    const src = await startRtspSource({ width: 160, height: 90, fps: 5, paths: ['main'] });
    process.kill(src.pid!, 'SIGABRT');
    await src.stop();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await listening(src.port)).toBe(false);
    expect(src.status().running).toBe(false);
  });
});
