import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifCamera } from '../../drivers/onvif/onvif-camera.js';
import { type DemoCameras, startDemoCameras } from '../../src/cameras/demo-cameras.js';
import { cameraSchema } from '../../src/config/sections/cameras.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../helpers/free-port.js';
import { capturedLogger } from '../helpers/log-lines.js';

const run = promisify(execFile);

async function probe(url: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height'],
      ...['-of', 'json', url],
    ],
    { timeout: 15_000 },
  );
  return (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams[0] ?? {};
}

/** The pid of the GStreamer server the demo runs on `port` (its config is its argv). */
async function serverOn(port: number): Promise<number> {
  const { stdout } = await run('pgrep', ['-f', `rtsp-source.py .*"port":${port},`]);
  const pids = stdout.trim().split('\n').filter(Boolean).map(Number);
  expect(pids).toHaveLength(1);
  return pids[0]!;
}

describe('the demo city’s simulated cameras', () => {
  const { log, lines } = capturedLogger();
  let port: number;
  let demo: DemoCameras;

  beforeAll(async () => {
    port = await freePort();
    const cameras = [
      { id: 'cam-door', site: 'bank-1', rtsp: `rtsp://127.0.0.1:${port}/door` },
      { id: 'cam-vault', site: 'bank-1', rtsp: `rtsp://127.0.0.1:${port}/vault` },
      // Another machine's camera is not simulated.
      { id: 'cam-far', site: 'bank-1', rtsp: 'rtsp://192.0.2.7:554/main' },
    ].map((c) => cameraSchema.parse(c));
    demo = await startDemoCameras(cameras, log, { video: '/nonexistent/footage.avi' });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('serves the cameras that point at this machine on their port, on the test pattern without footage', async () => {
    expect(await demo.footage).toBe('test pattern');
    expect(lines.find((l) => l['msg'] === 'demo: simulated cameras online')).toMatchObject({
      onvif: 0,
      rtsp: 1,
    });
    expect(await probe(`rtsp://127.0.0.1:${port}/door`)).toEqual({
      codec_name: 'h264',
      width: 640,
      height: 360,
    });
    expect((await probe(`rtsp://127.0.0.1:${port}/vault`)).codec_name).toBe('h264');
  });

  it('starts a camera server that died again on its port, and says so', async () => {
    const pid = await serverOn(port);
    // How Debian's GStreamer 1.22 RTSP server dies now and then when readers drop abruptly.
    process.kill(pid, 'SIGABRT');
    const end = Date.now() + 15_000;
    while (!lines.some((l) => String(l['msg']).includes('died'))) {
      if (Date.now() > end) throw new Error(`no restart logged: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lines.find((l) => String(l['msg']).includes('died'))).toMatchObject({
      level: 40,
      msg: 'demo: simulated camera server died, starting it again',
      port,
      paths: ['door', 'vault'],
      exit: 'SIGABRT',
    });
    expect(await probe(`rtsp://127.0.0.1:${port}/door`)).toEqual({
      codec_name: 'h264',
      width: 640,
      height: 360,
    });
    expect(await serverOn(port)).not.toBe(pid);
  });
});

// Every demo names the same camera ports (config/demo.yaml: 8101-8104, 8554): a second demo on the
// machine (another developer's `npm start`, the start test run twice at once) found them taken and
// its registry connected to the first demo's cameras, or to whatever else listened there.
describe('the demo city’s simulated cameras, their ports taken by something else', () => {
  const { log, lines } = capturedLogger();
  const blockers: Server[] = [];
  let cameras: ReturnType<typeof cameraSchema.parse>[];
  let ports: { onvif: number; rtsp: number };
  let demo: DemoCameras;

  const block = async (): Promise<number> => {
    const s = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    blockers.push(s);
    return (s.address() as { port: number }).port;
  };

  beforeAll(async () => {
    ports = { onvif: await block(), rtsp: await block() };
    cameras = [
      {
        id: 'cam-counter',
        site: 'bank-1',
        onvif: {
          url: `http://127.0.0.1:${ports.onvif}/onvif/device_service`,
          username: 'admin',
          password: 'demo-pass-1',
        },
      },
      { id: 'cam-door', site: 'bank-1', rtsp: `rtsp://viewer:demo-pass-2@127.0.0.1:${ports.rtsp}/door` },
    ].map((c) => cameraSchema.parse(c));
    demo = await startDemoCameras(cameras, log, { video: '/nonexistent/footage.avi' });
  });
  afterAll(async () => {
    await demo?.stop();
    for (const s of blockers) s.close();
  });

  it('simulates each camera on a free port instead, points its URL there and says which', async () => {
    expect(lines.find((l) => l['msg'] === 'demo: simulated cameras online')).toMatchObject({
      onvif: 1,
      rtsp: 1,
    });
    const onvifUrl = new URL(cameras[0]!.onvif!.url);
    const rtspUrl = new URL(cameras[1]!.rtsp!);
    expect(Number(onvifUrl.port)).not.toBe(ports.onvif);
    expect(Number(rtspUrl.port)).not.toBe(ports.rtsp);
    const said = lines.filter((l) => String(l['msg']).startsWith('demo: cannot listen on port'));
    expect(said.map((l) => l['msg'])).toEqual([
      `demo: cannot listen on port ${ports.onvif} (EADDRINUSE: another demo on this machine?); simulated on port ${onvifUrl.port} instead`,
      `demo: cannot listen on port ${ports.rtsp} (EADDRINUSE: another demo on this machine?); simulated on port ${rtspUrl.port} instead`,
    ]);
    // What the camera registry, started after the demo's cameras, does with the URLs.
    const cam = new OnvifCamera({ url: onvifUrl.href, username: 'admin', password: 'demo-pass-1' });
    expect((await cam.connect()).info.model).toBe('cam-counter');
    expect(await probe(rtspUrl.href)).toEqual({ codec_name: 'h264', width: 640, height: 360 });
  });
});

describe('the demo city’s simulated cameras, the footage encoded by an earlier start', () => {
  const log = createLogger({ level: 'silent' });
  let dir: string;
  let port: number;
  let cameras: ReturnType<typeof cameraSchema.parse>[];
  let opts: { video: string; cacheDir: string };
  const running: DemoCameras[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-demo-footage-'));
    const video = join(dir, 'people.mp4');
    await run('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=2'],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', video],
    ]);
    opts = { video, cacheDir: join(dir, 'cache') };
    port = await freePort();
    cameras = [cameraSchema.parse({ id: 'cam-door', site: 'bank-1', rtsp: `rtsp://127.0.0.1:${port}/door` })];
    // The first start on this machine encodes the loop, and its cameras start on it: a switch from the
    // test pattern dropped every reader, and each first start logged six cameras lost.
    const first = await startDemoCameras(cameras, log, opts);
    expect(await Promise.race([first.footage, Promise.resolve('still on the test pattern')])).toBe('real');
    expect(await probe(`rtsp://127.0.0.1:${port}/door`)).toMatchObject({ width: 768, height: 576 });
    await first.stop();
  }, 60_000);
  afterAll(async () => {
    for (const d of running.splice(0)) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Started on the test pattern and switched a moment later, the servers dropped the readers the
  // camera registry had just connected: each `npm start` logged "upstream lost, reconnecting".
  it('start on the footage: the first reader gets it, nothing is switched under it', async () => {
    const demo = await startDemoCameras(cameras, log, opts);
    running.push(demo);
    expect(await Promise.race([demo.footage, Promise.resolve('still on the test pattern')])).toBe('real');
    expect(await probe(`rtsp://127.0.0.1:${port}/door`)).toEqual({
      codec_name: 'h264',
      width: 768,
      height: 576,
    });
  });
});

describe('the demo city’s simulated cameras, a first start whose encoding takes longer than it waits', () => {
  const { log, lines } = capturedLogger();
  let dir: string;
  let video: string;
  const running: DemoCameras[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-demo-slow-'));
    video = join(dir, 'people.mp4');
    await run('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10:duration=2'],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', video],
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const d of running.splice(0)) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (name: string, stopping?: AbortSignal) => {
    const port = await freePort();
    const cameras = [
      cameraSchema.parse({ id: 'cam-door', site: 'bank-1', rtsp: `rtsp://127.0.0.1:${port}/door` }),
    ];
    const demo = await startDemoCameras(cameras, log, {
      video,
      cacheDir: join(dir, name),
      firstWaitMs: 0,
      ...(stopping ? { stopping } : {}),
    });
    running.push(demo);
    return { demo, url: `rtsp://127.0.0.1:${port}/door` };
  };

  it('starts on the test pattern and switches to the footage when it is encoded', async () => {
    const { demo, url } = await start('cache-slow');
    expect(lines.map((l) => l['msg'])).toContain(
      'demo: the footage is still being encoded; cameras start on the test pattern until it is ready',
    );
    expect(await demo.footage).toBe('real');
    expect(await probe(url)).toMatchObject({ width: 768, height: 576 });
  }, 60_000);

  // A CI's stop began just as a first start's encoding ended: the switch dropped the readers of a
  // stream hub not yet stopped, and the stop logged six cameras lost ("ffmpeg exited (code 0)").
  it('keeps the test pattern once the service has begun to stop: nothing is switched under the readers', async () => {
    const stopping = new AbortController();
    const { demo, url } = await start('cache-stopping', stopping.signal);
    stopping.abort();
    expect(await demo.footage).toBe('test pattern');
    expect(await probe(url)).toMatchObject({ width: 640, height: 360 });
  }, 60_000);
});
