/**
 * Camera driver costs against the bare tools, same machine, same run:
 *  1. stream check: `probeRtsp` (one DESCRIBE over TCP) vs bare `ffprobe -rtsp_transport tcp`;
 *  2. ONVIF connect (clock, capabilities, info, profiles, 2 stream URIs, snapshot URI = 7 SOAP calls)
 *     vs 7 bare HTTP POSTs of the same size to the same simulator;
 *  3. snapshot: ONVIF snapshot URI fetch vs `grabJpeg` (ffmpeg, one frame from the RTSP stream).
 *
 * npx tsx bench/camera-health.ts [--n 20]
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { OnvifCamera } from '../drivers/onvif/onvif-camera.js';
import { fetchSnapshot } from '../drivers/onvif/onvif-snapshot.js';
import { envelope } from '../drivers/onvif/onvif-soap.js';
import { grabJpeg } from '../drivers/rtsp/rtsp-frame-reader.js';
import { probeRtsp } from '../drivers/rtsp/rtsp-probe.js';
import { CameraSimulator } from '../drivers/simulator/camera-simulator/camera-simulator.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { n: { type: 'string', default: '20' } } });
const N = Number(values.n);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

function ratio(r: number): string {
  return r >= 0.1 ? `${r.toFixed(2)}×` : `1/${Math.round(1 / r)}`;
}

function row(name: string, ours: number[], bare: number[]): string {
  const f = (x: number) => x.toFixed(1);
  return `| ${name} | ${f(pct(ours, 50))} / ${f(pct(ours, 99))} | ${f(pct(bare, 50))} / ${f(pct(bare, 99))} | ${ratio(pct(ours, 50) / pct(bare, 50))} |`;
}

const sim = await new CameraSimulator({
  username: 'admin',
  password: 'bench-pass',
  width: 640,
  height: 360,
  fps: 10,
}).start();
try {
  const cam = new OnvifCamera({ url: sim.deviceUrl, username: 'admin', password: 'bench-pass' });
  await cam.connect();
  const url = cam.streamUri('sub');
  await probeRtsp(url); // warm: the shared GStreamer pipeline is built on first DESCRIBE

  const probe = await time(N, () => probeRtsp(url));
  const ffprobe = await time(Math.max(3, Math.round(N / 4)), () =>
    run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url], { timeout: 20_000 }),
  );

  const connect = await time(N, () =>
    new OnvifCamera({ url: sim.deviceUrl, username: 'admin', password: 'bench-pass' }).connect(),
  );
  const raw = envelope('<tds:GetSystemDateAndTime/>');
  const bareSoap = await time(N, async () => {
    for (let i = 0; i < 7; i++) {
      const r = await fetch(sim.deviceUrl, {
        method: 'POST',
        body: raw,
        headers: { 'content-type': 'application/soap+xml' },
      });
      await r.text();
    }
  });

  const snap = await time(N, () => fetchSnapshot(cam.snapshotUri!, cam.credentials, { ownHost: cam.host }));
  const grab = await time(Math.max(3, Math.round(N / 4)), () => grabJpeg(url));

  console.log(`camera-health bench, ${new Date().toISOString()}, n=${N} (bare ffmpeg/ffprobe runs n/4)`);
  console.log('| operation | ours p50 / p99 ms | bare p50 / p99 ms | ratio p50 |');
  console.log('|---|---|---|---|');
  console.log(row('stream check: probeRtsp vs ffprobe', probe, ffprobe));
  console.log(row('ONVIF connect (7 SOAP calls) vs 7 bare POSTs', connect, bareSoap));
  console.log(row('snapshot: ONVIF URI vs ffmpeg one frame', snap, grab));
} finally {
  await sim.stop();
}
