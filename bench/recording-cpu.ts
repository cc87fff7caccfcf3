/**
 * Recording cost per camera (issue 6): the service's path (the stream hub's one ffmpeg per camera,
 * `-c copy` to fragmented MP4 on a pipe, and the Node recorder cutting keyframe segments and indexing
 * them in SQLite) against a bare `ffmpeg -rtsp_transport tcp -i URL -c copy -f segment` of the same
 * RTSP stream, both running at the same time on the same source.
 *
 *   npx tsx bench/recording-cpu.ts [--cameras 4] [--seconds 20]
 *
 * CPU is read from /proc (utime+stime of each ffmpeg) and process.cpuUsage() for Node, over the same
 * window after a warm-up. Cameras are N readers of one shared 1280x720 15 fps H.264 mount (GStreamer
 * encodes it once; its cost is the simulator's, not counted).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { silentLogger } from '../src/log.js';
import { urlSource } from '../streams/ffmpeg-upstream.js';
import { Recorder } from '../streams/recorder.js';
import { StreamHub } from '../streams/upstream-hub.js';
import { tempRecordingStore } from '../test/streams/recording-fixture.js';
import { cpuSeconds } from './lib/harness.js';

const { values } = parseArgs({
  options: { cameras: { type: 'string', default: '4' }, seconds: { type: 'string', default: '20' } },
});
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);

const rtsp = await startRtspSource({ width: 1280, height: 720, fps: 15, paths: ['main'] });
const store = tempRecordingStore();
const bare: ChildProcess[] = [];
const hub = new StreamHub({ resolve: async () => urlSource(rtsp.url('main'), 'sim') });
try {
  const cams = Array.from({ length: N }, (_, i) => `cam-${i + 1}`);
  const recorder = new Recorder(hub, {
    index: store.index,
    writer: store.writer,
    storageFor: () => store.storage,
    segmentSeconds: 4,
    log: silentLogger,
  });
  // Readers join one at a time: the simulator's shared mount refuses a burst of simultaneous SETUPs.
  for (const c of cams) {
    await recorder.start([c]);
    await new Promise((r) => setTimeout(r, 800));
    const dir = join(store.dir, 'bare', c);
    mkdirSync(dir, { recursive: true });
    bare.push(
      spawn(
        'ffmpeg',
        [
          ...['-v', 'error', '-rtsp_transport', 'tcp', '-i', rtsp.url('main'), '-c', 'copy'],
          ...['-f', 'segment', '-segment_time', '4', '-reset_timestamps', '1', join(dir, '%05d.ts')],
        ],
        { stdio: 'ignore' },
      ),
    );
    await new Promise((r) => setTimeout(r, 800));
  }
  await new Promise((r) => setTimeout(r, 4000)); // warm up
  const hubPids = () => hub.upstreams().map((u) => u.pid);
  const allSegments = async () =>
    (await Promise.all(cams.map((c) => store.index.segments(c, 0, Number.MAX_SAFE_INTEGER)))).flat();
  const sample = async () => ({
    t: performance.now(),
    node: process.cpuUsage(),
    hub: hubPids().reduce<number>((n, p) => n + cpuSeconds(p), 0),
    bare: bare.reduce((n, p) => n + cpuSeconds(p.pid), 0),
    segs: (await allSegments()).length,
  });
  const a = await sample();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const b = await sample();
  const wall = (b.t - a.t) / 1000;
  const nodeCpu = (b.node.user - a.node.user + b.node.system - a.node.system) / 1e6;
  const pct = (s: number) => (s / wall) * 100;
  const oursPct = pct(b.hub - a.hub + nodeCpu);
  const barePct = pct(b.bare - a.bare);
  const bareSegs = cams.reduce((n, c) => n + readdirSync(join(store.dir, 'bare', c)).length, 0);
  const bytes = (await allSegments()).reduce((n, s) => n + s.bytes, 0);
  console.log(
    `${N} cameras, 1280x720 15 fps H.264, ${SECONDS} s window; ${b.segs - a.segs} segments indexed, ${bareSegs} bare segments`,
  );
  const ms = (await allSegments()).reduce((n, s) => n + s.endMs - s.startMs, 0);
  console.log(
    `recorded ${(bytes / 1e6).toFixed(1)} MB, ${((bytes * 8) / (ms / 1000) / 1e6).toFixed(2)} Mbit/s per camera; upstreams: ${hub.upstreams().length}`,
  );
  console.log('| per camera | CPU % of one core | of which |');
  console.log('|---|---|---|');
  console.log(
    `| sharpeyes (hub ffmpeg + Node recorder and writer thread) | ${(oursPct / N).toFixed(2)} % | ffmpeg ${(pct(b.hub - a.hub) / N).toFixed(2)} %, Node ${(pct(nodeCpu) / N).toFixed(2)} % |`,
  );
  console.log(`| bare \`ffmpeg -c copy -f segment\` | ${(barePct / N).toFixed(2)} % | |`);
  console.log(`ratio ours/bare: ${(oursPct / barePct).toFixed(2)}x`);
  console.log(
    `cameras per 2-core node at 70 % CPU for recording alone: ~${Math.floor((200 * 0.7) / (oursPct / N))}`,
  );
  await recorder.stop();
} finally {
  for (const p of bare) p.kill('SIGTERM');
  await hub.stop();
  await rtsp.stop();
  await store.cleanup();
}
