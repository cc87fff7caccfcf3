// Live video latency and fan-out cost (issue 7).
//   npx tsx bench/live-latency.ts [--seconds 8] [--viewers 1,16,64]
// One simulated RTSP camera (GStreamer, 320x240 sub-stream, 15 fps, keyframe every second); the
// service runs as its own process (bench/lib/live-service.ts). For each viewer count:
//   A. server side: N Node WebSocket clients of /live/cam-1; fragment arrival at the hub (its
//      `wallclock`) → the client's receipt of the binary fragment, over loopback;
//   B. end to end: N <video> players (web/live/player.js, MSE) in one headless Chromium page;
//      hub arrival → browser arrival, and hub arrival → on screen (the player's latency estimate:
//      the frame at the playhead, placed by its fragment's arrival time);
//   CPU of the service process and of its one ffmpeg during B, against the bare tool: the same
//   ffmpeg command alone (RTSP → fMP4 → /dev/null) beside the idle service.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { startRtspSource } from '../drivers/simulator/rtsp-source.js';
import { ffmpegArgs, urlSource } from '../streams/ffmpeg-upstream.js';
import { spawnUntil, stopChild, summary } from './lib/harness.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const SECONDS = Number(arg('seconds', '8'));
const VIEWERS = arg('viewers', '1,16,64').split(',').map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

function procCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
  } catch {
    return 0;
  }
}
/** Busy share of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + (b || 0), 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/** CPU % of one core used by the service process, its ffmpeg, and the machine (% of all cores). */
async function cpuOver(ms: number) {
  const s0 = procCpuMs(svcPid);
  const f0 = procCpuMs(ffmpegPid());
  const m0 = machineTicks();
  await sleep(ms);
  const m1 = machineTicks();
  return {
    service: ((procCpuMs(svcPid) - s0) / ms) * 100,
    ffmpeg: ((procCpuMs(ffmpegPid()) - f0) / ms) * 100,
    machine: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
  };
}

const source = await startRtspSource({ width: 640, height: 480, fps: 15 });
const { child, captures } = await spawnUntil(
  ['bench/lib/live-service.ts'],
  [/LIVE_URL=(\S+)/, /LIVE_TOKEN=(\S+)/],
  { env: { RTSP_BASE: source.url('').replace(/\/$/, '') } },
);
const svcPid = child.pid as number;
const [httpUrl, token] = captures as [string, string];
// A tool that can set headers authenticates the upgrade with the session token in Authorization
// (issue 15: no session token in a URL; browsers use a signed media URL instead).
const wsUrl = `${httpUrl.replace(/^http/, 'ws')}/live/cam-1?stream=sub&meta=1`;
const wsHeaders = { authorization: `Bearer ${token}` };
/** The service's ffmpeg (one per camera stream). */
function ffmpegPid(): number | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(svcPid)], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.trim().endsWith('ffmpeg'));
    return line ? Number.parseInt(line, 10) : undefined;
  } catch {
    return undefined;
  }
}
const rows: string[] = [];
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f1 = (n: number) => n.toFixed(1);

// Bare tool: the same ffmpeg command alone, beside the idle service.
const bareFfmpeg = spawn('ffmpeg', ffmpegArgs(urlSource(source.url('sub')), 200), {
  stdio: ['ignore', 'ignore', 'ignore'],
});
await sleep(3000);
const b0 = procCpuMs(bareFfmpeg.pid);
const idle = await cpuOver(SECONDS * 1000);
const bare = { ffmpeg: ((procCpuMs(bareFfmpeg.pid) - b0) / (SECONDS * 1000)) * 100, service: idle.service };
bareFfmpeg.kill('SIGTERM');
console.log(`bare: ffmpeg ${f1(bare.ffmpeg)}% CPU, idle service ${f1(bare.service)}% CPU`);

// A. Node clients (in this process; the service's CPU is its own process).
const nodeClientCpu: Record<number, number> = {};
const serverSide: Record<number, ReturnType<typeof summary>> = {};
for (const n of VIEWERS) {
  const samples: number[] = [];
  let measuring = false;
  const clients = await Promise.all(
    Array.from({ length: n }, () => {
      const ws = new WebSocket(wsUrl, { headers: wsHeaders });
      let wall: number | undefined;
      ws.on('message', (data, binary) => {
        if (!binary) {
          const m = JSON.parse(String(data)) as { type: string; wallclock?: number };
          wall = m.type === 'fragment' ? m.wallclock : undefined;
        } else if (wall !== undefined) {
          if (measuring) samples.push(Date.now() - wall);
          wall = undefined;
        }
      });
      return new Promise<WebSocket>((res, rej) => {
        ws.once('open', () => res(ws));
        ws.once('error', rej);
      });
    }),
  );
  await sleep(2000);
  measuring = true;
  const cpu = await cpuOver(SECONDS * 1000);
  measuring = false;
  for (const c of clients) c.close();
  serverSide[n] = summary(samples);
  nodeClientCpu[n] = cpu.service + cpu.ffmpeg;
  console.log(`A n=${n}`, serverSide[n], cpu);
  await sleep(1000);
}

// B. Chromium.
const serviceCpu: Record<number, number> = {};
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    ...['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    ...['--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  ],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 960 } });
await page.goto(`${httpUrl}/live/wall.html`);
for (const n of VIEWERS) {
  await page.evaluate(
    async ({ n, token }) => {
      document.body.replaceChildren();
      const url = '/live/player.js';
      const { MsePlayer } = (await import(url)) as {
        MsePlayer: new (v: HTMLVideoElement, o: object) => { start(): void };
      };
      for (let i = 0; i < n; i++) {
        const v = document.createElement('video');
        v.style.width = '80px';
        document.body.append(v);
        new MsePlayer(v, { cameraId: 'cam-1', stream: 'sub', token }).start();
      }
    },
    { n, token },
  );
  await sleep(3000);
  const e2e: number[] = [];
  const arrival: number[] = [];
  const cpuP = cpuOver(SECONDS * 1000);
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    await sleep(500);
    const s = await page.evaluate(() =>
      Array.from(document.querySelectorAll('video')).map((v) => {
        const st = (v as unknown as { livePlayer: { status: Record<string, number | string> } }).livePlayer
          .status;
        return [
          st['state'] === 'live' ? st['latencyMs'] : undefined,
          st['arrivalMs'],
          v.currentTime,
        ] as const;
      }),
    );
    for (const [lat, arr] of s) {
      if (typeof lat === 'number') e2e.push(lat);
      if (typeof arr === 'number') arrival.push(arr);
    }
  }
  const cpu = await cpuP;
  const playing = await page.evaluate(
    () => Array.from(document.querySelectorAll('video')).filter((v) => v.currentTime > 1).length,
  );
  await page.evaluate(() => {
    for (const v of Array.from(document.querySelectorAll('video')))
      (v as unknown as { livePlayer: { destroy(): void } }).livePlayer.destroy();
    document.body.replaceChildren();
  });
  const e = summary(e2e);
  const a = summary(arrival);
  const srv = serverSide[n] ?? summary([]);
  console.log(`B n=${n} playing=${playing}`, { e2e: e, arrival: a, cpu });
  serviceCpu[n] = cpu.service + cpu.ffmpeg;
  rows.push(
    `| ${n} | ${f0(srv.p50)} / ${f0(srv.p99)} | ${f0(a.p50)} / ${f0(a.p99)} | ${f0(e.p50)} / ${f0(e.p99)} | ${playing}/${n} | ${f1(cpu.service)} % | ${f1(cpu.ffmpeg)} % | ${f1(cpu.machine)} % |`,
  );
  await sleep(1000);
}
await browser.close();
console.log(`\nBare tool: ffmpeg alone ${f1(bare.ffmpeg)} % CPU; idle service ${f1(bare.service)} % CPU\n`);
console.log(
  '| viewers | hub → Node client p50/p99 ms | hub → browser p50/p99 ms | hub → screen p50/p99 ms | playing | service CPU | its ffmpeg CPU | machine (2 cores) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
const lo = Math.min(...VIEWERS);
const hi = Math.max(...VIEWERS);
const ratio = (m: Record<number, number>, what: string) =>
  console.log(
    `service+ffmpeg CPU, ${hi} vs ${lo} ${what}: ${f1(m[hi] ?? 0)} % / ${f1(m[lo] ?? 0)} % = ${((m[hi] ?? 0) / (m[lo] || 1)).toFixed(2)}x`,
  );
console.log('');
ratio(nodeClientCpu, 'Node viewers (A)');
ratio(serviceCpu, 'Chromium viewers (B)');
await stopChild(child);
await source.stop();
