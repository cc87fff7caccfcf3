/**
 * Export of 60 s from 4 cameras (issues 6 and 14) against, in the same run, a bare `ffmpeg -f concat -c copy`
 * of the same segments and a plain copy of the same bytes.
 *
 *   npx tsx bench/recording-export.ts [--runs 7] [--size 1280x720]
 *
 * Footage: 60 s of lavfi testsrc, libx264 (-g 25 at 25 fps, yuv420p), fragmented MP4 as the stream hub
 * emits it at a constant 4 Mbit/s, recorded by the real CameraRecorder into 4 s segments for each of 4 cameras.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.js';
import { concatList } from '../streams/clip-assembler.js';
import { loadOrCreateSiteKey } from '../streams/evidence-keys.js';
import { runExport } from '../streams/export-job.js';
import { CameraRecorder, type StreamConsumer } from '../streams/recorder.js';
import { resolveInside } from '../streams/segment-paths.js';
import { feedTestStream, tempRecordingStore } from '../test/streams/recording-fixture.js';
import { summary } from './lib/harness.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, size: { type: 'string', default: '1280x720' } },
});
const runs = Number(values.runs);
const CAMS = ['cam-1', 'cam-2', 'cam-3', 'cam-4'];
const BASE = Date.UTC(2026, 0, 1, 0, 0, 0);

const store = tempRecordingStore();
try {
  // One encode fanned out to 4 recorders, like one hub feeding 4 cameras' recorders.
  const recs = CAMS.map(
    (c) =>
      new CameraRecorder(c, {
        index: store.index,
        writer: store.writer,
        storageFor: () => store.storage,
        segmentSeconds: 4,
        log: silentLogger,
      }),
  );
  const fan: StreamConsumer = {
    onInit: (i) => {
      for (const r of recs) r.onInit(i);
    },
    onFragment: (f) => {
      for (const r of recs) r.onFragment(f);
    },
  };
  await feedTestStream(fan, {
    baseMs: BASE,
    seconds: 62,
    size: values.size,
    // Constant 4 Mbit/s (x264 CBR filler), a typical 1080p/720p camera main stream, so bytes are realistic.
    encoderArgs: [
      '-b:v',
      '4M',
      '-minrate',
      '4M',
      '-maxrate',
      '4M',
      '-bufsize',
      '2M',
      '-x264-params',
      'nal-hrd=cbr',
    ],
  });
  for (const r of recs) r.onEnd('end');
  await Promise.all(recs.map((r) => r.stop()));
  const from = BASE + 1000;
  const to = from + 60_000;
  const segs = await Promise.all(CAMS.map((c) => store.index.segments(c, from, to)));
  const bytes = segs.flat().reduce((n, s) => n + s.bytes, 0);
  console.log(
    `footage: ${CAMS.length} cameras x 60 s, ${segs[0]?.length} segments each, ${(bytes / 1e6).toFixed(1)} MB in total`,
  );

  const key = loadOrCreateSiteKey(join(store.dir, 'keys'));
  const exportsDir = join(store.dir, 'exports');
  mkdirSync(exportsDir);
  const time = async (fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const ffmpegConcat = (list: string, out: string) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(
        'ffmpeg',
        ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-y', out],
        {
          stdio: 'inherit',
        },
      );
      p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}`))));
    });
  const lists = segs.map((s, i) => {
    const f = join(store.dir, `list-${i}.ffconcat`);
    writeFileSync(f, concatList(s));
    return f;
  });

  const ours: number[] = [];
  const bare: number[] = [];
  const copy: number[] = [];
  for (let r = 0; r < runs; r++) {
    ours.push(
      await time(async () => {
        await runExport(
          {
            id: `bench-${r}`,
            cameras: CAMS,
            fromMs: from,
            toMs: to,
            reason: 'bench',
            exportedBy: { username: 'bench', role: 'investigator', scope: 'city' },
          },
          { index: store.index, exportsDir, key },
        );
      }),
    );
    bare.push(
      await time(async () => {
        for (const [i, l] of lists.entries()) await ffmpegConcat(l, join(store.dir, `bare-${i}.mp4`));
      }),
    );
    const dest = join(store.dir, 'copy');
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest);
    copy.push(
      await time(async () => {
        for (const s of segs.flat())
          copyFileSync(resolveInside(s.storage, s.path), join(dest, `${s.id}.mp4`));
      }),
    );
    rmSync(join(exportsDir, `bench-${r}.zip`), { force: true });
  }
  const zipBytes = statSync(join(store.dir, 'bare-0.mp4')).size;
  const o = summary(ours);
  const b = summary(bare);
  const c = summary(copy);
  const row = (name: string, s: ReturnType<typeof summary>) =>
    `| ${name} | ${s.p50.toFixed(0)} ms | ${s.p99.toFixed(0)} ms | ${(s.p50 / b.p50).toFixed(2)}x |`;
  console.log(`\nruns: ${runs}; one camera's concat output ${(zipBytes / 1e6).toFixed(1)} MB`);
  console.log('| 60 s x 4 cameras | p50 | p99 | vs bare ffmpeg (p50) |');
  console.log('|---|---|---|---|');
  console.log(
    row(
      'sharpeyes export (concat + clock track + chapters + faststart + SHA-256 + manifest + Ed25519 + zip)',
      o,
    ),
  );
  console.log(row('bare `ffmpeg -f concat -c copy` x 4', b));
  console.log(row('plain file copy of the same segment bytes', c));
  console.log(`\nffmpeg: ${execFileSync('ffmpeg', ['-version']).toString().split('\n')[0]}`);
} finally {
  await store.cleanup();
}
