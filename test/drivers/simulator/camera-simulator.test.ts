import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifCamera } from '../../../drivers/onvif/onvif-camera.js';
import { discover } from '../../../drivers/onvif/onvif-discovery.js';
import type { DriverCameraEvent } from '../../../drivers/onvif/onvif-events.js';
import { fetchSnapshot } from '../../../drivers/onvif/onvif-snapshot.js';
import { CameraSimulator } from '../../../drivers/simulator/camera-simulator/camera-simulator.js';

const run = promisify(execFile);

describe('CameraSimulator driven by the ONVIF driver', () => {
  let sim: CameraSimulator;
  let cam: OnvifCamera;
  beforeAll(async () => {
    sim = await new CameraSimulator({ username: 'admin', password: 'cam-pass-1', width: 320, height: 180, fps: 10 }).start();
    cam = new OnvifCamera({ url: sim.deviceUrl, username: 'admin', password: 'cam-pass-1' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('answers a unicast WS-Discovery probe with its device service', async () => {
    const found = await discover({ multicast: false, targets: [{ host: '127.0.0.1', port: sim.discoveryPort }], timeoutMs: 400 });
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
    const jpeg = await fetchSnapshot(cam.snapshotUri!, cam.credentials);
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

  it('control endpoint raises events and rejects unknown controls', async () => {
    const base = `http://127.0.0.1:${sim.port}/control`;
    expect((await fetch(`${base}/motion`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${base}/explode`, { method: 'POST' })).status).toBe(404);
  });
});
