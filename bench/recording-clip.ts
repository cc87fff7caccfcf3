/**
 * Alarm to clip ready (issue 6): a real panic over MQTT → incident → the alarm clip of its zone camera
 * (recorded from a real RTSP source through the stream hub) on the operator's socket. Measured from
 * the end of the postroll (event received + postroll) to the `incident:update {kind: 'clip'}`.
 * Baseline in the same run: a bare `ffmpeg -f concat -c copy` of the same clip's segments.
 *
 *   npx tsx bench/recording-clip.ts [--alarms 10]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import type { Incident } from '../src/core/incident-types.js';
import type { RecordingPart } from '../src/recording/recording-module.js';
import { concatList } from '../streams/clip-assembler.js';
import { opsClient, startTestService } from '../test/helpers/service.js';
import { summary } from './lib/harness.js';

const { values } = parseArgs({ options: { alarms: { type: 'string', default: '10' } } });
const alarms = Number(values.alarms);
const POSTROLL = 2;
const SEGMENT = 4;

const rtsp = await startRtspSource({ width: 1280, height: 720, fps: 15, paths: ['cam1'] });
const sites = Array.from({ length: alarms }, (_, i) => i + 1);
const yaml = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions: [{ id: city, name: City }]
sites:
${sites.map((i) => `  - { id: s${i}, name: Site ${i}, jurisdiction: city, kind: shop, location: { lat: 39.3, lon: 112.4 } }`).join('\n')}
panels:
${sites.map((i) => `  - { id: p${i}, site: s${i}, secret: secret-p${i}, heartbeatSeconds: 60, zones: { "1": { name: door, cameras: [cam-1] } } }`).join('\n')}
cameras:
  - { id: cam-1, site: s1, rtsp: "${rtsp.url('cam1')}", preroll: 5, postroll: ${POSTROLL} }
recording: { segmentSeconds: ${SEGMENT} }
`;
const svc = await startTestService({ yaml });
try {
  const rec = svc.svc.part<RecordingPart>('recording');
  const token = await svc.login('op', 'operator', 'city');
  const socket = await opsClient(svc.httpUrl, token);
  await new Promise((r) => setTimeout(r, 7000)); // preroll footage
  const ready: number[] = [];
  const bare: number[] = [];
  for (const i of sites) {
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: `p${i}`,
      password: `secret-p${i}`,
      clientId: `p${i}`,
    });
    const clipped = new Promise<[Incident, number]>((resolve) =>
      socket.on('incident:update', (inc: Incident, change: { kind: string }) => {
        if (change?.kind === 'clip' && inc.site === `s${i}`) resolve([inc, Date.now()]);
      }),
    );
    await panel.publishAsync(
      `sharpeyes/panels/p${i}/event`,
      JSON.stringify({ id: `bench-${i}`, type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const [inc, at] = await clipped;
    socket.removeAllListeners('incident:update');
    const postrollEnd = Date.parse(inc.events[0]!.receivedAt) + POSTROLL * 1000;
    ready.push(at - postrollEnd);
    // Baseline: the bare concat of the same segments, once they are all there.
    const clip = inc.clips[0]!;
    const segs = await rec.index.segments('cam-1', Date.parse(clip.start), Date.parse(clip.end));
    const list = join(svc.dataDir, 'bench.ffconcat');
    writeFileSync(list, concatList(segs));
    const t = performance.now();
    await new Promise<void>((resolve) => {
      const p = spawn('ffmpeg', [
        '-v',
        'error',
        '-f',
        'concat',
        '-safe',
        '0',
        '-i',
        list,
        '-c',
        'copy',
        '-y',
        join(svc.dataDir, 'bare.mp4'),
      ]);
      p.once('close', () => resolve());
    });
    bare.push(performance.now() - t);
    await panel.endAsync();
  }
  socket.close();
  const r = summary(ready);
  const b = summary(bare);
  console.log(
    `alarms: ${alarms}; segments ${SEGMENT} s, source keyframe every 1 s, postroll ${POSTROLL} s, 1280x720`,
  );
  console.log('| | p50 | p99 |');
  console.log('|---|---|---|');
  console.log(
    `| postroll end → clip on the operator's socket | ${r.p50.toFixed(0)} ms | ${r.p99.toFixed(0)} ms |`,
  );
  console.log(
    `| bare \`ffmpeg -f concat -c copy\` of the same segments | ${b.p50.toFixed(0)} ms | ${b.p99.toFixed(0)} ms |`,
  );
} finally {
  await svc.close();
  await rtsp.stop();
}
