/**
 * What dark cameras put on the alarm path: `--cameras` cameras of as many shops on one real
 * GStreamer RTSP source (one switch), a real service (SQLite, its stream hub and watchdogs, default
 * `videoLossSeconds` 10). Once every camera is up the source goes away; for `--seconds` the video
 * events (`video_loss`, `video_restore`) and the maintenance incidents they opened are counted, as a
 * dark camera should raise one loss and one ticket, and nothing more until it returns.
 *
 *   npx tsx bench/dark-cameras.ts [--cameras 8] [--seconds 60]
 */
import { parseArgs } from 'node:util';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { startTestService } from '../test/helpers/service.js';

const { values } = parseArgs({
  options: { cameras: { type: 'string', default: '8' }, seconds: { type: 'string', default: '60' } },
});
const N = Number(values.cameras);
const SECONDS = Number(values.seconds);

const rtsp = await startRtspSource({ width: 160, height: 120, fps: 10, paths: ['main'] });
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
  const dark = new Date().toISOString();
  await rtsp.drop();
  console.log(`${N} cameras up; the source is gone at ${dark}; counting for ${SECONDS} s…`);
  for (let s = 10; s <= SECONDS; s += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    console.log(`+${s} s: ${JSON.stringify(count(dark))}`);
  }
  const tickets = db
    .prepare("SELECT COUNT(*) AS n FROM incidents WHERE kind = 'maintenance' AND opened_at >= ?")
    .get(dark) as { n: number };
  console.log(`maintenance incidents opened since: ${tickets.n} (one per dark camera is right: ${N})`);
} finally {
  await svc.close();
  await rtsp.stop();
}
