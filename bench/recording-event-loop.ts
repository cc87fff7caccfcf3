/**
 * The media plane off the alarm loop (issue 13): how long the event loop — the one that PUBACKs
 * panics — is held up while N cameras record, with the segment writer thread against, in the same
 * run, the issue-6 recorder's way (every fragment written with writeSync and each segment
 * fdatasync'ed on the event loop), and against no recording at all.
 *
 *   npx tsx bench/recording-event-loop.ts [--cameras 0,16,32] [--seconds 20] [--runs 1]
 *
 * Cameras are pre-encoded (one 1280x720 H.264 file at 4 Mbit/s, keyframe every 2 s), served by the
 * stream hub's own ffmpeg with `-re -stream_loop -1 … -c copy`: no encoding anywhere, so the CPU
 * goes to the service, not to a simulator. Segments of 4 s into a SQLite index in WAL with
 * synchronous=FULL, as the service runs. Event-loop delay: perf_hooks.monitorEventLoopDelay (10 ms
 * resolution) over the window, after a warm-up. Main thread CPU: /proc/self/task/<pid>/stat over the
 * same window (the thread that PUBACKs; the writer thread and the hub's ffmpegs are not in it).
 *
 * Three recorders: the issue-6 way, the writer thread posting each request as it comes (stop 30 and
 * before; `batchMs: 0`), and the writer thread as the service runs it (batches every 50 ms).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { Recorder } from '../streams/recorder.js';
import { SegmentIndex } from '../streams/segment-index.js';
import { type ClosedFile, type SegmentFiles, SegmentWriter } from '../streams/segment-writer.js';
import { StreamHub } from '../streams/upstream-hub.js';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '0,16,32' },
    seconds: { type: 'string', default: '20' },
    runs: { type: 'string', default: '1' },
  },
});
const COUNTS = values.cameras.split(',').map(Number);

/** The main thread's CPU time so far, in ms (utime + stime, clock ticks of 10 ms). */
function mainThreadMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const SECONDS = Number(values.seconds);

/** The issue-6 recorder's writes: synchronous, on the event loop, fdatasync at each close. */
class SyncFiles implements SegmentFiles {
  onWritten: ((id: number, endMs: number) => void) | undefined;
  private next = 1;
  private readonly files = new Map<number, { fd: number; file: string; bytes: number; endMs: number }>();
  open(file: string, init: Buffer): number {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, 'wx');
    writeSync(fd, init);
    const id = this.next++;
    this.files.set(id, { fd, file, bytes: init.length, endMs: 0 });
    return id;
  }
  append(id: number, data: Buffer, endMs: number): boolean {
    const f = this.files.get(id)!;
    writeSync(f.fd, data);
    f.bytes += data.length;
    f.endMs = endMs;
    this.onWritten?.(id, endMs);
    return true;
  }
  failed() {
    return undefined;
  }
  written(id: number) {
    const f = this.files.get(id);
    return f && { endMs: f.endMs, bytes: f.bytes };
  }
  async close(id: number, renameTo?: string): Promise<ClosedFile> {
    const f = this.files.get(id)!;
    this.files.delete(id);
    fdatasyncSync(f.fd);
    closeSync(f.fd);
    if (renameTo && renameTo !== f.file) renameSync(f.file, renameTo);
    const file = renameTo ?? f.file;
    return { file, bytes: statSync(file).size, endMs: f.endMs };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-elbench-'));
const source = join(dir, 'camera.mp4');
execFileSync('ffmpeg', [
  ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '20'],
  ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt', 'yuv420p'],
  ...['-b:v', '4M', '-maxrate', '4M', '-bufsize', '2M', '-y', source],
]);

async function run(
  cameras: number,
  mode: Mode,
): Promise<{ p50: number; p99: number; max: number; segs: number; cpu: number }> {
  const runDir = join(dir, `${mode}-${cameras}`);
  const store = new SqliteStore(join(runDir, 'index.db'));
  const index = new SegmentIndex(store.k);
  const hub = new StreamHub({
    resolve: async () => ({ input: ['-re', '-stream_loop', '-1', '-i', source], label: 'file' }),
  });
  const writer =
    mode === 'sync'
      ? new SyncFiles()
      : new SegmentWriter({ log: silentLogger, ...(mode === 'unbatched' ? { batchMs: 0 } : {}) });
  const recorder = new Recorder(hub, {
    index,
    writer,
    storageFor: () => join(runDir, 'rec'),
    segmentSeconds: 4,
    log: silentLogger,
  });
  await recorder.start(Array.from({ length: cameras }, (_, i) => `cam-${i + 1}`));
  await new Promise((r) => setTimeout(r, 6000)); // warm-up: every upstream live, first segments cut
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const cpu0 = mainThreadMs();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = (mainThreadMs() - cpu0) / (SECONDS * 10);
  h.disable();
  const { n: count } = await store.k
    .selectFrom('recording_segments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  await recorder.stop();
  if (writer instanceof SegmentWriter) await writer.stop();
  await hub.stop();
  await store.close();
  rmSync(runDir, { recursive: true, force: true });
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, segs: count, cpu };
}

type Mode = 'sync' | 'unbatched' | 'thread';
const NAMES: Record<Mode, string> = {
  sync: 'writeSync + fdatasync on the loop (issue 6)',
  unbatched: 'writer thread, a message per request (stop 30)',
  thread: 'writer thread, batched every 50 ms (stop 31)',
};

console.log(
  `${new Date().toISOString()}; load average ${execFileSync('cat', ['/proc/loadavg']).toString().trim()}`,
);
console.log('| cameras | recorder | main thread CPU | event-loop delay p50 | p99 | max | segments |');
console.log('|---|---|---|---|---|---|---|');
try {
  for (let round = 0; round < Number(values.runs); round++)
    for (const n of COUNTS) {
      // The order rotates run by run, so no recorder always follows the same one.
      const all: Mode[] = ['sync', 'unbatched', 'thread'];
      const modes: Mode[] = n === 0 ? ['thread'] : [...all.slice(round % 3), ...all.slice(0, round % 3)];
      for (const mode of modes) {
        const r = await run(n, mode);
        const name = n === 0 ? 'none (baseline)' : NAMES[mode];
        console.log(
          `| ${n} | ${name} | ${r.cpu.toFixed(1)} % | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${r.segs} |`,
        );
      }
    }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
