// Simulated cameras for load benches (issue 12): what N cameras cost the machine when the simulator
// serves one pre-encoded real video looped without encoding, against the test pattern it encodes live
// with x264, in the same run. Each camera has one reader copying its stream (`ffmpeg -c copy`, as the
// recorder does), so the stream is really pulled.
// `npx tsx bench/models-loop-cameras.ts [--seconds 15] [--cameras 1,16,32] [--pattern 1,4]`
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OPENCV_VTEST, prepareLoopVideo } from '../drivers/simulator/loop-video.js';
import { type RtspSource, startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { cpuSeconds } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    cameras: { type: 'string', default: '1,16,32' },
    pattern: { type: 'string', default: '1,4' },
  },
});
const SECONDS = Number(values.seconds);

interface Row {
  mode: string;
  cameras: number;
  simulator: number;
  readers: number;
  packets: number;
}

async function measure(mode: string, src: RtspSource, paths: string[]): Promise<Row> {
  const readers: ChildProcess[] = paths.map((p) =>
    spawn('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', src.url(p)],
      ...['-c', 'copy', '-f', 'null', '-'],
    ]),
  );
  // Connected and streaming before the clock starts.
  await new Promise((r) => setTimeout(r, 4000));
  const sim0 = cpuSeconds(src.pid);
  const rd0 = readers.reduce((n, r) => n + cpuSeconds(r.pid), 0);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const simulator = (cpuSeconds(src.pid) - sim0) / SECONDS;
  const live = readers.filter((r) => r.exitCode === null).length;
  const rd = (readers.reduce((n, r) => n + cpuSeconds(r.pid), 0) - rd0) / SECONDS;
  for (const r of readers) r.kill('SIGKILL');
  return { mode, cameras: paths.length, simulator, readers: rd, packets: live };
}

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-loop-bench-'));
const rows: Row[] = [];
try {
  const started = new Date().toISOString();
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  const video = await prepareLoopVideo({ source: OPENCV_VTEST, width: 768, height: 576, fps: 10 }, dir);
  const encodeS = (performance.now() - t0) / 1000;
  for (const n of values.cameras.split(',').map(Number)) {
    const paths = Array.from({ length: n }, (_, i) => `cam${i + 1}`);
    const src = await startRtspSource({
      videos: Object.fromEntries(paths.map((p) => [p, { file: video.file }])),
    });
    rows.push(await measure('looped file, no encoding (768×576, 10 fps)', src, paths));
    await src.stop();
  }
  for (const n of values.pattern.split(',').map(Number)) {
    const paths = Array.from({ length: n }, (_, i) => `cam${i + 1}`);
    // The simulator's test pattern at the demo's size: x264 encoding live, one encoder per mount.
    const src = await startRtspSource({ width: 640, height: 360, fps: 10, paths });
    rows.push(await measure('test pattern, x264 live (640×360, 10 fps)', src, paths));
    await src.stop();
  }
  const load1 = loadavg()[0]!;
  console.log(
    `\nSimulated cameras, ${started}, ${SECONDS} s per row, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}; vtest.avi encoded once in ${encodeS.toFixed(1)} s\n`,
  );
  console.log(
    '| source | cameras | simulator CPU (% of one core) | per camera | readers CPU (ffmpeg -c copy) | readers alive at the end |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.mode} | ${r.cameras} | ${(r.simulator * 100).toFixed(1)} % | ${((r.simulator * 100) / r.cameras).toFixed(2)} % | ${(r.readers * 100).toFixed(1)} % | ${r.packets}/${r.cameras} |`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
