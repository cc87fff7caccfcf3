/**
 * Seek → first frame on screen in headless Chromium (issue 14), against, in the same run:
 *  - bare ffmpeg decoding the same target frame from the same segment file (`-ss`, `-frames:v 1`):
 *    the floor for any player that decodes from the segment's keyframe;
 *  - the playback route of issue 6 (`<video src=/api/recordings/play?from=T>`: an ffmpeg concat
 *    stream started for each seek), as the console used it before.
 *
 *   npx tsx bench/playback-seek.ts [--seeks 40] [--gop 4] [--size 1280x720]
 *
 * Footage: 3 minutes of lavfi testsrc, libx264 at 25 fps with a keyframe every `--gop` seconds (real
 * cameras: 1-4 s), 4 Mbit/s, recorded by the real recorder into 4 s segments of a running service.
 * A seek is the investigator typing a time and pressing "go to": from the click to the
 * requestVideoFrameCallback of the frame at that time (within one frame).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import type { RecordingPart } from '../src/recording/recording-module.js';
import { CameraRecorder } from '../streams/recorder.js';
import { startTestService } from '../test/helpers/service.js';
import { feedTestStream } from '../test/streams/recording-fixture.js';
import { addUser, launchChromium, loginInPage } from '../test/web/console-helpers.js';
import { summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    seeks: { type: 'string', default: '40' },
    gop: { type: 'string', default: '4' },
    size: { type: 'string', default: '1280x720' },
    seconds: { type: 'string', default: '180' },
  },
});
const SEEKS = Number(values.seeks);
const GOP = Number(values.gop);
const SECONDS = Number(values.seconds);

const yaml = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions: [{ id: city, name: City }]
sites: [{ id: s1, name: Site, jurisdiction: city, kind: shop, location: { lat: 39.3, lon: 112.4 } }]
cameras: [{ id: cam-1, site: s1, rtsp: "rtsp://127.0.0.1:9/none" }]
recording: { enabled: false }
`;

const svc = await startTestService({ yaml });
const browser = await launchChromium();
browser.on('disconnected', () => console.error('bench: chromium disconnected'));
try {
  const rec = svc.svc.part<RecordingPart>('recording');
  const storage = `${svc.dataDir}/recordings`;
  // Three minutes of footage, recorded as a live camera would be, ending a minute ago.
  const base = Date.now() - (SECONDS + 60) * 1000;
  const recorder = new CameraRecorder('cam-1', {
    index: rec.index,
    writer: rec.writer,
    storageFor: () => storage,
    segmentSeconds: 4,
    log: silentLogger,
  });
  await feedTestStream(recorder, {
    baseMs: base,
    seconds: SECONDS,
    size: values.size,
    encoderArgs: ['-g', String(25 * GOP), '-b:v', '4M', '-maxrate', '4M', '-bufsize', '2M'],
  });
  recorder.onEnd('end');
  await recorder.stop();
  const segs = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
  console.log(`footage: ${segs.length} segments of 4 s, ${values.size}, keyframe every ${GOP} s`);

  const page = await (
    await browser.newContext({ viewport: { width: 1600, height: 1000 }, timezoneId: 'UTC' })
  ).newPage();
  page.on('crash', () => console.error('bench: the page crashed'));
  page.on('pageerror', (e) => console.error(`bench: page error ${e.message}`));
  const password = await addUser(svc, 'bench', 'investigator', 'city');
  await loginInPage(page, svc.httpUrl, 'bench', password);
  const token = await svc.login('bench2', 'investigator', 'city');
  await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(base + 5000).toISOString()}`);
  await page.locator('.pb-tile[data-state=ready]').waitFor();

  // Whole seconds (the input's resolution), away from keyframes and spread over the recording.
  const targets = Array.from({ length: SEEKS }, (_, i) => {
    const sec = 8 + Math.floor(((i * 0.618034) % 1) * (SECONDS - 16));
    // The input takes whole seconds of the wall clock.
    return Math.floor((base + sec * 1000 + (sec % GOP === 0 ? 1000 : 0)) / 1000) * 1000;
  });

  const ours: number[] = [];
  for (const at of targets) {
    if (process.env['BENCH_DEBUG']) console.error(`bench: seek to ${new Date(at).toISOString()}`);
    // A string, not a function: tsx names functions (`__name`), which the page does not have.
    const ms = (await page.evaluate(`new Promise((resolve) => {
      const v = document.querySelector('.pb-tile video');
      const origin = Number(document.querySelector('.pb-grid').dataset.origin);
      document.querySelector('#pb-goto').value = new Date(${at}).toISOString().slice(0, 19);
      const want = (${at} - origin) / 1000;
      const t0 = performance.now();
      const check = (now, meta) => {
        if (Math.abs(meta.mediaTime - want) < 0.045) resolve(performance.now() - t0);
        else v.requestVideoFrameCallback(check);
      };
      v.requestVideoFrameCallback(check);
      setTimeout(() => resolve(-1), 15000);
      document.querySelector('#pb-goto-btn').click();
    })`)) as number;
    if (ms < 0) throw new Error(`bench: the frame of ${new Date(at).toISOString()} never showed`);
    ours.push(ms);
  }

  const bare: number[] = [];
  for (const at of targets) {
    const seg = segs.find((s) => s.startMs <= at && s.endMs > at)!;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const p = spawn('ffmpeg', [
        ...['-v', 'error', '-ss', ((at - seg.startMs) / 1000).toFixed(3), '-i', `${seg.storage}/${seg.path}`],
        ...['-frames:v', '1', '-f', 'null', '-'],
      ]);
      p.once('error', reject);
      p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}`))));
    });
    bare.push(performance.now() - t0);
  }

  const old: number[] = [];
  const oldPage = await (await browser.newContext()).newPage();
  await oldPage.goto(`${svc.httpUrl}/api/health`);
  await oldPage.setContent('<video id="v" muted playsinline></video>');
  for (const at of targets) {
    const src = `${svc.httpUrl}/api/recordings/play?camera=cam-1&from=${new Date(at).toISOString()}&to=${new Date(at + 600_000).toISOString()}&token=${token}`;
    const ms = (await oldPage.evaluate(`new Promise((resolve) => {
      const v = document.getElementById('v');
      const t0 = performance.now();
      v.requestVideoFrameCallback(() => resolve(performance.now() - t0));
      v.src = ${JSON.stringify(src)};
      v.play().catch(() => undefined);
    })`)) as number;
    old.push(ms);
  }

  const row = (name: string, s: ReturnType<typeof summary>, ref: ReturnType<typeof summary>) =>
    `| ${name} | ${s.p50.toFixed(0)} ms | ${s.p90.toFixed(0)} ms | ${s.p99.toFixed(0)} ms | ${(s.p50 / ref.p50).toFixed(2)}× |`;
  const b = summary(bare);
  console.log(`\n${SEEKS} seeks; ${new Date().toISOString()}`);
  console.log('| seek → frame of that time | p50 | p90 | p99 | p50 vs bare ffmpeg |');
  console.log('|---|---|---|---|---|');
  console.log(row('sharpeyes player (MSE, recorded segments as they are)', summary(ours), b));
  console.log(row('bare `ffmpeg -ss T -i segment -frames:v 1` (decode only)', b, b));
  console.log(
    row('issue-6 route: `<video src=/api/recordings/play?from=T>` (concat stream)', summary(old), b),
  );
} finally {
  await browser.close();
  await svc.close();
}
