/**
 * What dark cameras put on the alarm path: `--cameras` cameras of as many shops on one real
 * GStreamer RTSP source (one switch), a real service (SQLite, its stream hub and watchdogs, default
 * `videoLossSeconds` 10). Once every camera is up the source goes away; for `--seconds` the video
 * events (`video_loss`, `video_restore`) and the maintenance incidents they opened are counted, as a
 * dark camera should raise one loss and one ticket, and nothing more until it returns. Then the
 * source comes back, and how long each camera took to say so (its `video_restore`) is reported: the
 * stream hub retries its upstream every 10 s at most (jittered), so a camera should be back within about that.
 *
 * `--unreachable`: the source's server stops altogether (a switch down: nothing answers on the port)
 * instead of its streams going away, and is started again on the same port.
 *
 * The CPU the service used in the dark (its own and its ffmpeg children's, from /proc/self/stat) is
 * reported, as each retry of a dark camera may spawn an ffmpeg.
 *
 *   npx tsx bench/dark-cameras.ts [--cameras 8] [--seconds 60] [--unreachable]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { startTestService } from '../test/helpers/service.js';
import { cpuSeconds } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '60' },
    unreachable: { type: 'boolean', default: false },
  },
});
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);
/** CPU seconds (user + system) of this process and all its children, live (ffmpeg, the source) or reaped. */
const treeCpuSeconds = () => {
  let t = cpuSeconds('self', true);
  for (const task of readdirSync('/proc/self/task'))
    for (const child of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean))
      t += cpuSeconds(Number(child), true);
  return t;
};
const SOURCE = { width: 160, height: 120, fps: 10, paths: ['main'] };
let rtsp = await startRtspSource(SOURCE);
const ids = Array.from({ length: N }, (_, i) => `cam-${i + 1}`);
const svc = await startTestService({
  yaml: `http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - { id: city, name: City 110 }
sites:
${ids.map((id) => `  - { id: shop-${id}, name: Shop ${id}, jurisdiction: city, kind: shop, location: { lat: 39.33, lon: 112.43 } }`).join('\n')}
cameras:
${ids.map((id) => `  - { id: ${id}, site: shop-${id}, rtsp: "${rtsp.url('main')}" }`).join('\n')}
models: { verification: { enabled: false } }
`,
});
const db = svc.svc.need('store').db;
const count = (since: string) =>
  db
    .prepare(
      "SELECT type, COUNT(*) AS n FROM events WHERE source = 'camera' AND received_at >= ? GROUP BY type ORDER BY type",
    )
    .all(since) as { type: string; n: number }[];
try {
  const health = async () =>
    ((await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { checks: { cameras: { up: number } } })
      .checks.cameras.up;
  const until = Date.now() + 60_000;
  while ((await health()) < N) {
    if (Date.now() > until) throw new Error('not every camera came up within a minute');
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 12_000)); // any startup loss restored and settled
  const cpuAtUp = treeCpuSeconds();
  await new Promise((r) => setTimeout(r, 20_000));
  const cpuUp = (treeCpuSeconds() - cpuAtUp) / 20;
  const dark = new Date().toISOString();
  if (values.unreachable) await rtsp.stop();
  else await rtsp.drop();
  const cpuAtDark = treeCpuSeconds();
  console.log(
    `${N} cameras up; the source is ${values.unreachable ? 'unreachable' : 'gone'} at ${dark}; counting for ${SECONDS} s…`,
  );
  for (let s = 10; s <= SECONDS; s += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    console.log(`+${s} s: ${JSON.stringify(count(dark))}`);
  }
  const tickets = db
    .prepare("SELECT COUNT(*) AS n FROM incidents WHERE kind = 'maintenance' AND opened_at >= ?")
    .get(dark) as { n: number };
  console.log(`maintenance incidents opened since: ${tickets.n} (one per dark camera is right: ${N})`);

  const cpuDark = (treeCpuSeconds() - cpuAtDark) / SECONDS;
  console.log(
    `CPU (service, its ffmpegs and the source): ${(cpuUp * 100).toFixed(1)} % of one core with the cameras up, ` +
      `${(cpuDark * 100).toFixed(1)} % in the dark`,
  );
  if (values.unreachable) rtsp = await startRtspSource({ ...SOURCE, port: rtsp.port });
  else await rtsp.resume();
  const back = Date.now();
  const restored = () =>
    db
      .prepare(
        "SELECT device, MIN(received_at) AS at FROM events WHERE source = 'camera' AND type = 'video_restore' AND received_at >= ? GROUP BY device",
      )
      .all(new Date(back).toISOString()) as { device: string; at: string }[];
  while (restored().length < N && Date.now() - back < 180_000) await new Promise((r) => setTimeout(r, 250));
  const took = restored()
    .map((r) => (Date.parse(r.at) - back) / 1000)
    .sort((a, b) => a - b);
  const q = (p: number) => took[Math.min(took.length - 1, Math.floor(p * took.length))]?.toFixed(1);
  console.log(
    `the source back: ${took.length} of ${N} cameras restored within ${((Date.now() - back) / 1000).toFixed(0)} s; ` +
      `seconds after its return: min ${took[0]?.toFixed(1)}, p50 ${q(0.5)}, max ${took.at(-1)?.toFixed(1)}`,
  );
} finally {
  await svc.close();
  await rtsp.stop();
}
