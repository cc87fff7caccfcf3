/**
 * Issue 13 (with issue 9's verification): the alarm path while the service verifies intrusions.
 * `--cameras K` sites each have a camera (pre-encoded opencv-doc vtest.avi looped by GStreamer's RTSP
 * server without encoding, at nice 19: the cameras stand for other machines) linked to zone 1 of their
 * panel; the panic sites have none. The service records every camera, as in a city.
 *
 * Each run starts a fresh service (its own process, `start --no-demo`) and times panics (publish →
 * PUBACK, and → `incident:new` on an operator's /ops socket), one every `--pause` ms or so, for two
 * phases of equal length (K × `--every` ms, then `--settle` s; at most `--panics` panics each):
 *   quiet: the cameras record, no intrusion;
 *   verifying: the K camera sites send an `intrusion` each, one every `--every` ms, each a new
 *   incident, so each is verified: seconds of live frames decoded by ffmpeg, NanoDet on up to 8 of
 *   them a camera on the inference pool's worker (the built-in detector, converted before the run).
 * In both phases the service's panics take turns, panic by panic, with bare Aedes + SQLite (WAL,
 * synchronous=FULL: the bare tools of commit-before-acknowledge) in the same moments. The verifying
 * phase's p99 against the quiet one's is what verification costs the alarm path; bare Aedes + SQLite's
 * own two phases say how much of that the machine's load alone explains.
 *
 *   npx tsx bench/panic-verification.ts [--cameras 16] [--runs 3] [--every 1000] [--settle 15] [--pause 40] [--panics 400]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { OPENCV_VTEST, prepareLoopVideo } from '../drivers/simulator/loop-video.js';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { builtinDetector, convertedModelPath } from '../models/builtin-detectors.js';
import { cityYaml } from './lib/city.js';
import {
  type BenchPanel,
  cpuSeconds,
  fmt,
  summary,
  timedPanic,
  withBareAedes,
  withBenchService,
} from './lib/harness.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '16' },
    panics: { type: 'string', default: '400' },
    runs: { type: 'string', default: '3' },
    every: { type: 'string', default: '1000' },
    pause: { type: 'string', default: '40' },
    settle: { type: 'string', default: '15' },
  },
});
const K = Number(values.cameras);
const PANICS = Number(values.panics);
const RUNS = Number(values.runs);
const EVERY = Number(values.every);
const PAUSE = Number(values.pause);
/** Each phase lasts as long: the intrusions' K × EVERY, then `--settle` s for their verdicts. */
const PHASE_MS = K * EVERY + Number(values.settle) * 1000;
const rest = () => new Promise((r) => setTimeout(r, PAUSE));

/** Panic sites for each phase (a panic opens its own incident), then the K camera sites. */
const CAM0 = 2 * PANICS;

/** The city: the panic sites, then K camera sites whose zone 1 names their camera. */
function yaml(rtspUrl: (path: string) => string): string {
  let city = cityYaml(CAM0 + K);
  for (let j = 0; j < K; j++) {
    const i = CAM0 + j;
    city = city.replace(
      `{ id: p${i}, site: s${i}, secret: secret-${i}-xyz, heartbeatSeconds: 3600 }`,
      `{ id: p${i}, site: s${i}, secret: secret-${i}-xyz, heartbeatSeconds: 3600, zones: { "1": { name: door, cameras: [c${j}] } } }`,
    );
  }
  const cams = Array.from(
    { length: K },
    (_, j) => `  - { id: c${j}, site: s${CAM0 + j}, rtsp: "${rtspUrl(`c${j}`)}" }`,
  );
  return `${city}cameras:\n${cams.join('\n')}\nrecording: { segmentSeconds: 4 }\n`;
}

const panelOf = (i: number): BenchPanel => ({
  opts: { username: `p${i}`, password: `secret-${i}-xyz`, clientId: `p${i}-bench` },
  topic: `sharpeyes/panels/p${i}/event`,
});

/** The sum of every series of `name` (any labels) in a /metrics scrape, with `label` if given. */
function total(text: string, name: string, label = ''): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    if (!label || (m[1] ?? '').includes(label)) sum += Number(m[2]);
  return sum;
}

interface Phase {
  svc: { puback: number[]; arrival: number[] };
  bareDb: number[];
  /** Detector frames analysed and shed (pool busy) during the phase; intrusions sent; service CPU s. */
  analysed: number;
  shed: number;
  intrusions: number;
  cpu: number;
}

const cache = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-video-'));
const video = await prepareLoopVideo({ source: OPENCV_VTEST, width: 768, height: 576, fps: 10 }, cache);
const rtsp = await startRtspSource({
  videos: Object.fromEntries(Array.from({ length: K }, (_, j) => [`c${j}`, { file: video.file }])),
  nice: 19,
});

const phases: { quiet: Phase[]; verifying: Phase[] } = { quiet: [], verifying: [] };
try {
  for (let r = 1; r <= RUNS; r++) {
    await withBareAedes(true, (bareDb) =>
      withBenchService(
        yaml((p) => rtsp.url(p)),
        async ({ child, dir, httpUrl, mqttUrl, socket }) => {
          // The built-in detector is converted once per data dir; do it now, not in the first verdict.
          convertedModelPath(builtinDetector('nanodet'), join(dir, 'models'));
          const deadline = Date.now() + 60_000;
          const recording = () => {
            try {
              return readdirSync(join(dir, 'recordings')).length;
            } catch {
              return 0; // not created until the first segment closes
            }
          };
          while (recording() < K) {
            if (Date.now() > deadline) throw new Error('the cameras are not recording');
            await new Promise((res) => setTimeout(res, 500));
          }
          const arrived = () => new Promise<void>((res) => socket.once('incident:new', () => res()));
          const intruders = await Promise.all(
            Array.from({ length: K }, (_, j) =>
              mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0, ...panelOf(CAM0 + j).opts }),
            ),
          );
          try {
            for (const name of ['quiet', 'verifying'] as const) {
              const before = await (await fetch(`${httpUrl}/metrics`)).text();
              const cpu0 = cpuSeconds(child.pid);
              let sent = 0;
              const timer =
                name === 'verifying'
                  ? setInterval(() => {
                      // Each camera site once: a second intrusion would join its open incident,
                      // which is verified once.
                      if (sent >= K) return;
                      const j = sent++;
                      void intruders[j]!.publishAsync(
                        panelOf(CAM0 + j).topic,
                        JSON.stringify({
                          id: `x${r}-${sent}`,
                          type: 'intrusion',
                          zone: '1',
                          ts: new Date().toISOString(),
                        }),
                        { qos: 1 },
                      );
                    }, EVERY)
                  : undefined;
              const phase: Phase = {
                svc: { puback: [], arrival: [] },
                bareDb: [],
                analysed: 0,
                shed: 0,
                intrusions: 0,
                cpu: 0,
              };
              try {
                const end = Date.now() + PHASE_MS;
                for (let i = 0; i < PANICS && Date.now() < end; i++) {
                  // Taking turns, the first side alternating: both meet the same moments of the load.
                  const order = i % 2 === 0 ? ['svc', 'bare'] : ['bare', 'svc'];
                  for (const side of order) {
                    if (side === 'svc') {
                      const site = i + (name === 'quiet' ? 0 : PANICS);
                      const s = await timedPanic(mqttUrl, site, panelOf(site), arrived);
                      phase.svc.puback.push(s.puback);
                      phase.svc.arrival.push(s.arrival);
                    } else {
                      const s = await timedPanic(bareDb.url, i, bareDb.panel(i), bareDb.arrived);
                      phase.bareDb.push(s.puback);
                    }
                    await rest();
                  }
                }
              } finally {
                if (timer) clearInterval(timer);
              }
              const after = await (await fetch(`${httpUrl}/metrics`)).text();
              const frames = (label: string) =>
                total(after, 'sharpeyes_verification_frames_total', label) -
                total(before, 'sharpeyes_verification_frames_total', label);
              phase.analysed = frames('analysed');
              phase.shed = frames('shed');
              phase.intrusions = sent;
              phase.cpu = cpuSeconds(child.pid) - cpu0;
              phases[name].push(phase);
              const p = summary(phase.svc.puback);
              const b = summary(phase.bareDb);
              console.log(
                `run ${r}, ${name}: panic→PUBACK p50 ${fmt(p.p50)} p99 ${fmt(p.p99)} | incident:new p99 ${fmt(summary(phase.svc.arrival).p99)} | bare Aedes + SQLite p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} | ${sent} intrusions, detector frames ${phase.analysed} analysed, ${phase.shed} shed | service CPU ${phase.cpu.toFixed(1)} s`,
              );
            }
          } finally {
            await Promise.all(intruders.map((c) => c.endAsync()));
          }
        },
        { timeoutMs: 120_000 },
      ),
    );
  }
} finally {
  await rtsp.stop();
  rmSync(cache, { recursive: true, force: true });
}

const all = (list: Phase[], f: (p: Phase) => number[]) => list.flatMap(f);
const row = (name: 'quiet' | 'verifying') => {
  const s = summary(all(phases[name], (p) => p.svc.puback));
  const i = summary(all(phases[name], (p) => p.svc.arrival));
  const b = summary(all(phases[name], (p) => p.bareDb));
  const analysed = phases[name].reduce((n, p) => n + p.analysed, 0);
  const sent = phases[name].reduce((n, p) => n + p.intrusions, 0);
  return { s, i, b, analysed, sent };
};
const q = row('quiet');
const v = row('verifying');
console.log(
  `\nall runs (${RUNS} runs, phases of ${PHASE_MS / 1000} s, ${K} camera sites, an intrusion every ${EVERY} ms while verifying, ${PAUSE} ms between panics):`,
);
console.log(
  '| phase | intrusions / detector frames | panic → PUBACK p50 / p99 | → incident:new p99 | bare Aedes + SQLite p50 / p99 | PUBACK p99 ÷ bare + SQLite |',
);
console.log('|---|---|---|---|---|---|');
for (const [name, x] of [
  ['quiet', q],
  ['verifying', v],
] as const)
  console.log(
    `| ${name} | ${x.sent} / ${x.analysed} | ${fmt(x.s.p50)} / ${fmt(x.s.p99)} | ${fmt(x.i.p99)} | ${fmt(x.b.p50)} / ${fmt(x.b.p99)} | ${(x.s.p99 / x.b.p99).toFixed(2)}× |`,
  );
console.log(
  `verifying ÷ quiet, PUBACK p99: service ${(v.s.p99 / q.s.p99).toFixed(2)}×, bare Aedes + SQLite ${(v.b.p99 / q.b.p99).toFixed(2)}×`,
);
process.exit(0);
