import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OnvifCamera } from '../../../drivers/onvif/onvif-camera.js';
import { discover } from '../../../drivers/onvif/onvif-discovery.js';
import { type DriverCameraEvent, OnvifEvents } from '../../../drivers/onvif/onvif-events.js';
import { fetchSnapshot } from '../../../drivers/onvif/onvif-snapshot.js';
import { SoapClient } from '../../../drivers/onvif/onvif-soap.js';
import { probeRtsp } from '../../../drivers/rtsp/rtsp-probe.js';
import { CameraSimulator } from '../../../drivers/simulator/camera-simulator/camera-simulator.js';
import { type LoopVideo, OPENCV_VTEST, prepareLoopVideo } from '../../../drivers/simulator/loop-video.js';

const run = promisify(execFile);

describe('CameraSimulator driven by the ONVIF driver', () => {
  let sim: CameraSimulator;
  let cam: OnvifCamera;
  beforeAll(async () => {
    sim = await new CameraSimulator({
      username: 'admin',
      password: 'cam-pass-1',
      width: 320,
      height: 180,
      fps: 10,
    }).start();
    cam = new OnvifCamera({ url: sim.deviceUrl, username: 'admin', password: 'cam-pass-1' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('answers a unicast WS-Discovery probe with its device service', async () => {
    const found = await discover({
      multicast: false,
      targets: [{ host: '127.0.0.1', port: sim.discoveryPort }],
      timeoutMs: 400,
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ urn: sim.urn, xaddrs: [sim.deviceUrl], name: 'SE-SIM-IPC' });
  });

  it('connects: device info, capabilities, main and sub profiles, stream URIs', async () => {
    const st = await cam.connect();
    expect(st.info).toMatchObject({ manufacturer: 'Sharpeyes', serialNumber: sim.serial });
    expect(st.main).toMatchObject({ token: 'Profile_1', width: 320, height: 180, ptz: true });
    expect(st.sub).toMatchObject({ token: 'Profile_2', width: 160, height: 90 });
    expect(cam.streamUri('main')).toBe(sim.rtspUrl('main'));
    expect(cam.streamUri('sub')).toBe(sim.rtspUrl('sub'));
    expect(cam.hasPtz).toBe(true);
  });

  it('serves the stream behind the URI it hands out (H.264 over RTSP/TCP)', async () => {
    const { stdout } = await run(
      'ffprobe',
      [
        ...['-v', 'error', '-rtsp_transport', 'tcp', '-analyzeduration', '1000000', '-show_entries'],
        ...['stream=codec_name,width,height', '-of', 'csv=p=0', cam.streamUri('sub')],
      ],
      { timeout: 15_000 },
    );
    expect(stdout.trim()).toBe('h264,160,90');
  });

  it('serves a JPEG snapshot', async () => {
    const jpeg = await fetchSnapshot(cam.snapshotUri!, cam.credentials, { ownHost: cam.host });
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it.each([
    [3, '3'],
    ['Preset 5', '5'],
  ])('goes to preset %s (token %s)', async (preset, token) => {
    expect(await cam.gotoPreset(preset)).toBe(token);
    expect(sim.gotoCalls.at(-1)).toBe(token);
  });

  it('refuses a preset the camera does not have', async () => {
    await expect(cam.gotoPreset(42)).rejects.toThrow(/no preset 42/);
  });

  it('refuses a wrong password with a NotAuthorized fault', async () => {
    const bad = new OnvifCamera({ url: sim.deviceUrl, username: 'admin', password: 'wrong-pass' });
    await expect(bad.connect()).rejects.toThrow(/NotAuthorized/);
  });

  it('delivers raised motion and tamper through a PullPoint subscription', async () => {
    const got: DriverCameraEvent[] = [];
    const both = new Promise<void>((resolve) => {
      const pp = cam.events({
        onEvent: (ev) => {
          got.push(ev);
          if (got.filter((e) => e.operation === 'Changed').length === 2) void pp?.stop().then(resolve);
        },
        retryDelayMs: () => 200,
        pullTimeoutSeconds: 2,
      });
      // Raised once the subscription exists (Initialized messages come first).
      const wait = setInterval(() => {
        if (got.length >= 2) {
          clearInterval(wait);
          sim.raise('motion');
          sim.raise('tamper');
        }
      }, 50);
    });
    await both;
    expect(got.map((e) => [e.kind, e.active, e.operation])).toEqual([
      ['motion', false, 'Initialized'],
      ['tamper', false, 'Initialized'],
      ['motion', true, 'Changed'],
      ['tamper', true, 'Changed'],
    ]);
  });

  it('renews and unsubscribes a PullPoint subscription; a pull after unsubscribe is a fault', async () => {
    const events = new OnvifEvents(
      new SoapClient({ credentials: { username: 'admin', password: 'cam-pass-1' } }),
      cam.state!.capabilities.events!,
    );
    const sub = await events.subscribe(10);
    expect(sub.address).toMatch(/\/onvif\/subscription\//);
    await events.renew(sub, 30);
    const { messages } = await events.pull(sub, 1);
    expect(messages.map((m) => m.operation)).toEqual(['Initialized', 'Initialized']);
    await events.unsubscribe(sub);
    await expect(events.pull(sub, 1)).rejects.toThrow(/PullMessages failed: InvalidArgVal/);
  });

  it('re-subscribes when the camera forgets the subscription, and keeps delivering', async () => {
    const got: DriverCameraEvent[] = [];
    const errors: unknown[] = [];
    const pp = cam.events({
      onEvent: (ev) => got.push(ev),
      onError: (err) => errors.push(err),
      retryDelayMs: () => 100,
      pullTimeoutSeconds: 1,
    })!;
    await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: 5000 });
    // The camera reboots its event service: every subscription is gone.
    sim.forgetSubscriptions();
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5000 });
    await vi.waitFor(() => expect(got).toHaveLength(4), { timeout: 5000 });
    sim.raise('tamper');
    await vi.waitFor(() => expect(got.at(-1)).toMatchObject({ kind: 'tamper', active: true }), {
      timeout: 5000,
    });
    await pp.stop();
  });

  it('a second simulator on a taken port fails to start and leaves no RTSP server behind', async () => {
    const other = new CameraSimulator({ port: sim.port, width: 160, height: 90, fps: 5 });
    await expect(other.start()).rejects.toThrow(/EADDRINUSE/);
    // Its RTSP server was started first and must be gone again: nothing answers DESCRIBE there.
    await expect(probeRtsp(other.rtspUrl('main'))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('control endpoint raises events and rejects unknown controls', async () => {
    const base = `http://127.0.0.1:${sim.port}/control`;
    expect((await fetch(`${base}/motion`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${base}/explode`, { method: 'POST' })).status).toBe(404);
  });
});

describe('CameraSimulator showing real footage', () => {
  let dir: string;
  let sim: CameraSimulator;
  let video: LoopVideo;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-sim-video-'));
    video = await prepareLoopVideo(
      { source: OPENCV_VTEST, width: 384, height: 288, fps: 10, seconds: 2 },
      dir,
    );
    // Started on the test pattern, as the demo does while its footage is being encoded.
    sim = await new CameraSimulator({ width: 320, height: 180, fps: 10 }).start();
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('swaps in the footage while running: profiles, stream and snapshot are the video', async () => {
    const cam = new OnvifCamera({ url: sim.deviceUrl });
    expect((await cam.connect()).sub).toMatchObject({ width: 160, height: 90 });
    await sim.showVideo({ main: video, sub: video });
    const st = await new OnvifCamera({ url: sim.deviceUrl }).connect();
    expect(st.main).toMatchObject({ width: 384, height: 288 });
    expect(st.sub).toMatchObject({ width: 384, height: 288 });
    const { stdout } = await run(
      'ffprobe',
      [
        ...[
          '-v',
          'error',
          '-rtsp_transport',
          'tcp',
          '-show_entries',
          'stream=codec_name,profile,width,height',
        ],
        ...['-of', 'csv=p=0', sim.rtspUrl('sub')],
      ],
      { timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('h264,Constrained Baseline,384,288');
    // The snapshot is a frame of the footage (its size), not the 640×360 test card.
    const jpeg = await fetchSnapshot(`http://127.0.0.1:${sim.port}/onvif/snapshot.jpg`, undefined, {
      ownHost: '127.0.0.1',
    });
    const file = join(dir, 'snap.jpg');
    writeFileSync(file, jpeg);
    const size = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=width,height',
      '-of',
      'csv=p=0',
      file,
    ]);
    expect(size.stdout.trim()).toBe('384,288');
  });
});
