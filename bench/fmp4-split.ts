/**
 * The fMP4 splitter on the alarm thread (issue 13): every recorded camera's bytes pass through
 * `Fmp4Splitter` on the event loop that PUBACKs panics. Timed: splitting a real ffmpeg fMP4 stream
 * (opencv-doc vtest.avi encoded once at 4 Mbit/s, 200 ms fragments, as a camera's hub writes them)
 * fed in pipe-sized chunks, against the bare runtime in the same run: one copy of every byte into
 * its fragment, the least any splitter that hands out whole fragments must do. Median of `--rounds`
 * rounds, the two sides alternating.
 *
 *   npx tsx bench/fmp4-split.ts [--chunks 4096,16384,65536] [--rounds 40]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OPENCV_VTEST } from '../drivers/simulator/loop-video.js';
import { Fmp4Splitter } from '../streams/fmp4.js';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '4096,16384,65536' },
    rounds: { type: 'string', default: '40' },
  },
});
const CHUNKS = values.chunks.split(',').map(Number);
const ROUNDS = Number(values.rounds);

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-fmp4-'));
const file = join(dir, 'stream.mp4');
// biome-ignore format: one ffmpeg argument per pair reads best
execFileSync('ffmpeg', [
  '-loglevel', 'error', '-y', '-i', OPENCV_VTEST,
  '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-b:v', '4M', '-g', '20',
  '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '200000',
  file,
]);
const bytes = readFileSync(file);
rmSync(dir, { recursive: true, force: true });

/** The splitter: every fragment's size, summed (so the work cannot be skipped). */
function split(chunk: number): number {
  let n = 0;
  const s = new Fmp4Splitter({ onInit: () => {}, onFragment: (f) => (n += f.data.length) });
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  return n;
}

/** The bare runtime: the same chunks, each byte copied once into a buffer of about a fragment. */
function bare(chunk: number): number {
  let n = 0;
  let parts: Buffer[] = [];
  let held = 0;
  for (let i = 0; i < bytes.length; i += chunk) {
    const c = bytes.subarray(i, i + chunk);
    parts.push(c);
    held += c.length;
    if (held >= 100_000) {
      n += Buffer.concat(parts, held).length;
      parts = [];
      held = 0;
    }
  }
  return n + held;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mb = bytes.length / 1e6;
console.log(`stream: ${mb.toFixed(1)} MB of fMP4; ${ROUNDS} rounds per chunk size, sides alternating`);
console.log('| pipe chunk | splitter ms per 100 MB (median) | bare copy ms per 100 MB | ratio |');
console.log('|---|---|---|---|');
for (const chunk of CHUNKS) {
  const t = { split: [] as number[], bare: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 ? (['bare', 'split'] as const) : (['split', 'bare'] as const)) {
      const t0 = performance.now();
      const n = side === 'split' ? split(chunk) : bare(chunk);
      t[side].push(((performance.now() - t0) * 100) / mb);
      if (n === 0) throw new Error(`${side} produced nothing`);
    }
  }
  const s = median(t.split);
  const b = median(t.bare);
  console.log(`| ${chunk} B | ${s.toFixed(1)} ms | ${b.toFixed(1)} ms | ${(s / b).toFixed(2)}× |`);
}
