/**
 * Issue 13 benchmark: the alarm path while cameras record. For 0, 16 and 32 recording cameras the
 * service runs as its own process (embedded Aedes, SQLite WAL, synchronous=FULL, continuous
 * recording of every camera); panels publish `panic` at QoS 1, one at a time, each from its own site.
 * Timed: publish → PUBACK (the commit) and publish → `incident:new` on an operator's /ops socket.
 * The cameras are pre-encoded real footage (opencv-doc vtest.avi) looped by GStreamer's RTSP server
 * without encoding and at nice 19 (the cameras stand for other machines), so the machine's CPU goes
 * to the service and the bare tools, not to the simulator.
 * Baselines in the same round: a bare Aedes broker (QoS 1 publish → PUBACK and → a subscriber), and
 * the bare tools of commit-before-acknowledge: bare Aedes inserting each publish into a bare SQLite
 * table (WAL, synchronous=FULL) before its PUBACK — what one fsync per panic costs on this disk.
 * Both baselines run while bare ffmpeg (`-c copy`, 4-second segments) records the same n cameras to
 * the same disk: the bare tools doing the same work as the service, so that what recording costs
 * the machine (CPU, and fsyncs queued behind video writes) is in both sides of the ratio.
 * Interleaved as well: while the service records, bare Aedes and bare Aedes + SQLite run beside it
 * and the three take turns, panic by panic (the order rotating). A shared machine's noise comes in
 * bursts minutes long; runs minutes apart can land in different ones (a bare p99 of 4 ms in one and
 * a service p99 of 40 ms in the next), and taking turns gives each side the same burst. The bare
 * tools then share the machine with the service's recording instead of bare ffmpeg's.
 *
 * `--pause MS` rests that long after each panic, on every side: with 0 (the default) each panic is
 * published as soon as the last one's push arrived, and the service is still carrying the last one
 * out (its audit, webhook, clip and report sinks; some 12 ms of CPU a panic against bare Aedes +
 * SQLite's 3.5): a saturated service's queueing. With a pause the service is idle when each panic
 * arrives, as it is in a city, where alarms come minutes apart, not milliseconds.
 *
 * `--connected`: every side's panels connect before the panics and stay connected, as real panels do;
 * without it (the default, and every figure before stop 34) each panic connects a panel, publishes
 * and disconnects, so each side also pays for a connect and a disconnect around its panics (the
 * service's sessions are on disk, bare Aedes' in memory).
 *
 * Each run's line also gives, from the service's /metrics during its panics, how long camera chunks
 * waited for the media lane (read → split) and the event-loop delay, p50 / p99 / max; and what the
 * recording did meanwhile: segments closed, footage dropped because the segment writer thread (which
 * runs below the alarm thread) was behind, and its backlog after the panics.
 *
 * `--recorded-beside`: the service records nothing (no camera in its city) while bare ffmpeg records the
 * same n cameras beside it, as the sequential baseline's recorders do. The machine does the same
 * recording work; the service's alarm thread none of it. The service's p99 with and without the flag
 * is what recording inside the service costs the alarm path, against recording in a process apart
 * (the ideal media process: the bare tool).
 *
 * `--split` loads `bench/lib/puback-split-preload.mjs` into the service and splits each of its panics'
 * PUBACK time in three: publish → the service reads it, read → PUBACK written, written → the panel
 * has it; and counts the slowest 5 % that a garbage collection in the service overlapped
 * (`bench/lib/puback-split.ts`). Each run's line and a table at the end give them.
 *
 *   npx tsx bench/panic-recording.ts [--cameras 0,16,32] [--panics 200] [--runs 3] [--pause 0] [--connected] [--split] [--recorded-beside]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OPENCV_VTEST, prepareLoopVideo } from '../drivers/simulator/loop-video.js';
import { type RtspSource, startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { startBareRecorders } from './lib/bare-recorder.js';
import { cityYaml } from './lib/city.js';
import {
  type BenchPanel,
  type BenchService,
  connectPanels,
  fmt,
  summary,
  timedPanic,
  timedPanics,
  withBareAedes,
  withBenchService,
} from './lib/harness.js';
import { describeSplit, type PanicSplit, readSplit, SPLIT_PRELOAD, splitPanics } from './lib/puback-split.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '0,16,32' },
    panics: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    pause: { type: 'string', default: '0' },
    connected: { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    'recorded-beside': { type: 'boolean', default: false },
  },
});
const COUNTS = values.cameras.split(',').map(Number);
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const PAUSE = Number(values.pause);
const CONNECTED = values.connected;
const SPLIT = values.split;
const BESIDE = values['recorded-beside'];
const rest = () => (PAUSE > 0 ? new Promise((r) => setTimeout(r, PAUSE)) : Promise.resolve());

/** Per panic, in ms: to its PUBACK, and to `incident:new` (bare: to the subscriber). */
type Samples = Awaited<ReturnType<typeof timedPanics>>;
/** The same, with each publish's moment (epoch ms) for `--split`. */
type TurnSamples = Samples & { at: number[] };

/** Files under `<dataDir>/recordings`, per camera directory: segments the recorders have closed. */
function camerasRecording(dataDir: string): number {
  try {
    return readdirSync(join(dataDir, 'recordings')).length;
  } catch {
    return 0; // not created until the first segment closes
  }
}

/** A target of the interleaved round: how its panel `i` connects, and what it waits for. */
interface Target {
  url: string;
  panel(i: number): BenchPanel;
  arrived(): Promise<void>;
}

/** The service's samples, and those of the bare tools that took turns with it. */
interface ServiceRound {
  svc: Samples;
  bare: Samples;
  bareDb: Samples;
  /** During the panics, from the service's /metrics: media lane wait and event-loop delay, ms. */
  waits: { lane: number[]; loop: number[] };
  /**
   * The recording during the panics: segments closed and footage dropped because the segment writer
   * thread was behind (it runs below the alarm thread), and the writer's backlog after them.
   */
  recording: { segments: number; dropped: number; backlogKb: number };
  /** With `--split`: where each service panic's PUBACK time went. */
  split?: { split: PanicSplit[]; unmatched: number };
}

/** The sum of every series of `name` (a counter or gauge, any labels) in a /metrics scrape. */
function total(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** `name{quantile="q"}` for each q, in ms, from the text of a /metrics scrape. */
function quantiles(text: string, name: string, qs: string[]): number[] {
  return qs.map((q) => {
    const m = text.match(new RegExp(`^${name}\\{quantile="${q.replace('.', '\\.')}"\\} (\\S+)$`, 'm'));
    return m ? Number(m[1]) * 1000 : Number.NaN;
  });
}
/** One scrape: every "since the previous scrape" gauge starts a new window with it. */
const scrape = async (httpUrl: string) => (await fetch(`${httpUrl}/metrics`)).text();
const WAIT_QS = ['0.5', '0.99', '1'];

/** `PANICS` panics to each target, taking turns panic by panic; the first target rotates. */
async function takeTurns(targets: Target[]): Promise<TurnSamples[]> {
  const out = targets.map((): TurnSamples => ({ puback: [], arrival: [], at: [] }));
  const clients = CONNECTED
    ? await Promise.all(targets.map((t) => connectPanels(t.url, PANICS, (i) => t.panel(i).opts)))
    : [];
  try {
    for (let i = 0; i < PANICS; i++)
      for (let k = 0; k < targets.length; k++) {
        const j = (i + k) % targets.length;
        const t = targets[j]!;
        const s = await timedPanic(t.url, i, t.panel(i), t.arrived, clients[j]?.[i]);
        out[j]!.puback.push(s.puback);
        out[j]!.arrival.push(s.arrival);
        out[j]!.at.push(s.at);
        await rest();
      }
  } finally {
    await Promise.all(clients.flat().map((c) => c.endAsync()));
  }
  return out;
}

function serviceRun(cameras: number, rtsp: RtspSource | undefined): Promise<ServiceRound> {
  const camYaml = Array.from(
    { length: cameras },
    (_, i) => `  - { id: c${i}, site: s${PANICS + i}, rtsp: "${rtsp!.url(`c${i}`)}" }`,
  );
  const yaml = `${cityYaml(PANICS + cameras)}${cameras > 0 && !BESIDE ? `cameras:\n${camYaml.join('\n')}\n` : ''}recording: { segmentSeconds: 4 }\n`;
  const splitDir = SPLIT ? mkdtempSync(join(tmpdir(), 'sharpeyes-bench-split-')) : undefined;
  const splitFile = splitDir ? join(splitDir, 'split.txt') : '';
  return withBenchService(
    yaml,
    async ({ dir, httpUrl, mqttUrl, socket }) => {
      // With --recorded-beside, bare ffmpeg records the cameras and the service none.
      const beside = BESIDE && cameras > 0 ? await recordBeside(cameras, rtsp!) : undefined;
      try {
        // Every camera has closed a segment: the recorders are running before the panics start.
        const deadline = Date.now() + 60_000;
        while (!beside && camerasRecording(dir) < cameras) {
          if (Date.now() > deadline)
            throw new Error(`only ${camerasRecording(dir)} of ${cameras} cameras recording`);
          await new Promise((r) => setTimeout(r, 500));
        }
        return await servicePanics({ httpUrl, mqttUrl, socket }, splitFile);
      } finally {
        await beside?.stop();
      }
    },
    {
      timeoutMs: 120_000,
      ...(splitDir ? { nodeArgs: ['--import', SPLIT_PRELOAD], env: { BENCH_SPLIT_FILE: splitFile } } : {}),
    },
  ).finally(() => {
    if (splitDir) rmSync(splitDir, { recursive: true, force: true });
  });
}

/** Bare ffmpeg recording cameras 0…n-1 into a directory of its own, removed when they stop. */
async function recordBeside(n: number, rtsp: RtspSource): Promise<{ stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-beside-rec-'));
  try {
    const recorders = await startBareRecorders(
      Array.from({ length: n }, (_, i) => rtsp.url(`c${i}`)),
      dir,
    );
    return {
      stop: () => recorders.stop().finally(() => rmSync(dir, { recursive: true, force: true })),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The service's panics, taking turns with the bare tools; `splitFile` is '' without --split. */
function servicePanics(
  { httpUrl, mqttUrl, socket }: Pick<BenchService, 'httpUrl' | 'mqttUrl' | 'socket'>,
  splitFile: string,
): Promise<ServiceRound> {
  const service: Target = {
    url: mqttUrl,
    panel: (i) => ({
      opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}` },
      topic: `sharpeyes/panels/p${i}/event`,
    }),
    arrived: () => new Promise<void>((r) => socket.once('incident:new', () => r())),
  };
  return withBareAedes(false, (bare) =>
    withBareAedes(true, async (bareDb) => {
      // A scrape starts both gauges' windows; the next one covers the panics.
      const before = await scrape(httpUrl);
      const [svc, b, bd] = await takeTurns([service, bare, bareDb]);
      const text = await scrape(httpUrl);
      const waits = {
        lane: quantiles(text, 'sharpeyes_media_lane_wait_seconds', WAIT_QS),
        loop: quantiles(text, 'sharpeyes_event_loop_delay_seconds', WAIT_QS),
      };
      const grew = (name: string) => total(text, name) - total(before, name);
      const recording = {
        segments: grew('sharpeyes_recording_segments_total'),
        dropped: grew('sharpeyes_recording_dropped_total'),
        backlogKb: total(text, 'sharpeyes_recording_writer_backlog_bytes') / 1024,
      };
      let split: ServiceRound['split'];
      if (splitFile) {
        // The preload flushes each second.
        await new Promise((r) => setTimeout(r, 1_200));
        split = splitPanics(
          svc!.at.map((at, k) => ({ at, puback: svc!.puback[k]! })),
          readSplit(splitFile),
        );
      }
      return { svc: svc!, bare: b!, bareDb: bd!, waits, recording, split };
    }),
  );
}

function bareRun(sqlite: boolean): Promise<Samples> {
  return withBareAedes(sqlite, ({ url, panel, arrived }) =>
    timedPanics(url, PANICS, panel, arrived, PAUSE, CONNECTED),
  );
}

const waitMs = (xs: number[]) => `${xs.map((x) => x.toFixed(2)).join(' / ')} ms`;

/** The first panics after a start, in ms: what a restart's first alarms wait (the p99 of a short run). */
const firstThree = (xs: number[]) =>
  xs
    .slice(0, 3)
    .map((x) => x.toFixed(1))
    .join(' / ');

const cache = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-video-'));
const video = await prepareLoopVideo({ source: OPENCV_VTEST, width: 768, height: 576, fps: 10 }, cache);
const maxCams = Math.max(...COUNTS);
const rtsp =
  maxCams > 0
    ? await startRtspSource({
        videos: Object.fromEntries(
          Array.from({ length: maxCams }, (_, i) => [`c${i}`, { file: video.file }]),
        ),
        // The cameras stand for other machines: the simulator yields the CPU to what is measured.
        nice: 19,
      })
    : undefined;

const all = new Map<string, Samples>();
const splits = new Map<number, { split: PanicSplit[]; unmatched: number }>();
const add = (key: string, s: Samples) => {
  const a = all.get(key) ?? { puback: [], arrival: [] };
  a.puback.push(...s.puback);
  a.arrival.push(...s.arrival);
  all.set(key, a);
};
try {
  for (let r = 1; r <= RUNS; r++) {
    for (const n of COUNTS) {
      // The bare tools, while bare ffmpeg records the same n cameras to the same disk.
      const recDir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-bare-rec-'));
      const recorders =
        n > 0
          ? await startBareRecorders(
              Array.from({ length: n }, (_, i) => rtsp!.url(`c${i}`)),
              recDir,
            )
          : undefined;
      let bare: Samples;
      let bareDb: Samples;
      try {
        bare = await bareRun(false);
        bareDb = await bareRun(true);
      } finally {
        await recorders?.stop();
        rmSync(recDir, { recursive: true, force: true });
      }
      const round = await serviceRun(n, rtsp);
      const svc = round.svc;
      add(`bare@${n}`, bare);
      add(`baredb@${n}`, bareDb);
      add(`svc@${n}`, svc);
      add(`turns-bare@${n}`, round.bare);
      add(`turns-baredb@${n}`, round.bareDb);
      if (round.split) {
        const acc = splits.get(n) ?? { split: [], unmatched: 0 };
        acc.split.push(...round.split.split);
        acc.unmatched += round.split.unmatched;
        splits.set(n, acc);
      }
      const tb = summary(round.bare.puback);
      const tbd = summary(round.bareDb.puback);
      const b = summary(bare.puback);
      const bd = summary(bareDb.puback);
      const p = summary(svc.puback);
      const i = summary(svc.arrival);
      console.log(
        `run ${r}, ${n} cameras: bare PUBACK p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} | bare+SQLite PUBACK p50 ${fmt(bd.p50)} p99 ${fmt(bd.p99)} | panic→PUBACK p50 ${fmt(p.p50)} p99 ${fmt(p.p99)} | panic→incident:new p50 ${fmt(i.p50)} p99 ${fmt(i.p99)} | first 3 PUBACKs after start ${firstThree(svc.puback)} (bare ${firstThree(bare.puback)}) | taking turns: bare PUBACK p50 ${fmt(tb.p50)} p99 ${fmt(tb.p99)}, bare+SQLite p50 ${fmt(tbd.p50)} p99 ${fmt(tbd.p99)} | media lane wait p50 / p99 / max ${waitMs(round.waits.lane)}, event-loop delay ${waitMs(round.waits.loop)} | recording during the panics: ${round.recording.segments} segments closed, ${round.recording.dropped} drops, writer backlog after ${round.recording.backlogKb.toFixed(0)} KB${BESIDE && n > 0 ? ' (the cameras recorded beside by bare ffmpeg)' : ''}${round.split ? ` | ${describeSplit(round.split.split, round.split.unmatched)}` : ''}`,
      );
    }
  }
} finally {
  await rtsp?.stop();
  rmSync(cache, { recursive: true, force: true });
}

console.log(
  `\nall runs (${RUNS} × ${PANICS} panics per camera count, ${PAUSE} ms between panics, ${CONNECTED ? 'panels connected throughout' : 'a connect per panic'}${BESIDE ? '; the service records nothing, bare ffmpeg records the cameras beside it' : ''}; loop video ${video.width}x${video.height} ${video.fps} fps):`,
);
console.log(
  '| recording cameras | bare Aedes PUBACK p50 / p99 | bare pub→sub p99 | bare Aedes + SQLite PUBACK p50 / p99 | panic → PUBACK p50 / p99 | panic → incident:new p50 / p99 | PUBACK p99 ÷ bare Aedes | PUBACK p99 ÷ bare Aedes + SQLite |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const n of COUNTS) {
  const b = all.get(`bare@${n}`)!;
  const bd = summary(all.get(`baredb@${n}`)!.puback);
  const s = all.get(`svc@${n}`)!;
  const bp = summary(b.puback);
  const bs = summary(b.arrival);
  const sp = summary(s.puback);
  const si = summary(s.arrival);
  console.log(
    `| ${n} | ${fmt(bp.p50)} / ${fmt(bp.p99)} | ${fmt(bs.p99)} | ${fmt(bd.p50)} / ${fmt(bd.p99)} | ${fmt(sp.p50)} / ${fmt(sp.p99)} | ${fmt(si.p50)} / ${fmt(si.p99)} | ${(sp.p99 / bp.p99).toFixed(2)}× | ${(sp.p99 / bd.p99).toFixed(2)}× |`,
  );
}
console.log('\ntaking turns with the service, panic by panic (the same panics of the service as above):');
console.log(
  '| recording cameras | bare Aedes PUBACK p50 / p99 | bare Aedes + SQLite PUBACK p50 / p99 | panic → PUBACK p50 / p99 | PUBACK p99 ÷ bare Aedes | PUBACK p99 ÷ bare Aedes + SQLite |',
);
console.log('|---|---|---|---|---|---|');
for (const n of COUNTS) {
  const b = summary(all.get(`turns-bare@${n}`)!.puback);
  const bd = summary(all.get(`turns-baredb@${n}`)!.puback);
  const sp = summary(all.get(`svc@${n}`)!.puback);
  console.log(
    `| ${n} | ${fmt(b.p50)} / ${fmt(b.p99)} | ${fmt(bd.p50)} / ${fmt(bd.p99)} | ${fmt(sp.p50)} / ${fmt(sp.p99)} | ${(sp.p99 / b.p99).toFixed(2)}× | ${(sp.p99 / bd.p99).toFixed(2)}× |`,
  );
}
if (SPLIT) {
  console.log("\nwhere the service's PUBACK time went, all runs (--split):");
  for (const n of COUNTS) {
    const sp = splits.get(n);
    if (sp) console.log(`${n} cameras, ${sp.split.length} panics: ${describeSplit(sp.split, sp.unmatched)}`);
  }
}
process.exit(0);
