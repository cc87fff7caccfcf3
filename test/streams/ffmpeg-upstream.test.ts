import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAMERA_NICE, FfmpegUpstream, type UpstreamSource } from '../../streams/ffmpeg-upstream.js';

/** Two seconds of a real encoded picture at 10 fps, then ffmpeg exits on its own. */
const twoSeconds: UpstreamSource = {
  input: ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2'],
  codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10'],
  label: 'testsrc',
};

function run(nice?: number) {
  const seen: string[] = [];
  const bytes: Buffer[] = [];
  let niceness: number | undefined;
  let niceError: string | undefined;
  let up: FfmpegUpstream | undefined;
  const exited = new Promise<string>((resolve) => {
    up = new FfmpegUpstream({
      source: twoSeconds,
      fragmentMs: 200,
      ...(nice === undefined ? {} : { nice }),
      onInit: (i) => {
        seen.push('init');
        bytes.push(i.data);
        // Read while ffmpeg is certainly alive.
        niceness = getPriority(up?.pid);
      },
      onFragment: (f) => {
        seen.push(`fragment ${f.samples}`);
        bytes.push(f.data);
      },
      onNiceError: (reason) => {
        niceError = reason;
      },
      onExit: (reason) => {
        seen.push('exit');
        resolve(reason);
      },
    });
  });
  return { exited, seen, bytes, niceness: () => niceness, niceError: () => niceError };
}

describe('FfmpegUpstream', () => {
  it('runs ffmpeg CAMERA_NICE nicer than the service, so the alarm thread gets the CPU first', async () => {
    const r = run();
    expect(await r.exited).toBe('ffmpeg exited (code 0)');
    expect(r.niceError()).toBeUndefined();
    expect(CAMERA_NICE).toBeGreaterThan(0);
    expect(r.niceness()).toBe(Math.min(19, getPriority() + CAMERA_NICE));
  });

  it('leaves ffmpeg at the service priority when told nice 0', async () => {
    const r = run(0);
    await r.exited;
    expect(r.niceness()).toBe(getPriority());
  });

  it('tells the exit after the last fragment ffmpeg wrote, and every frame once', async () => {
    const r = run();
    await r.exited;
    expect(r.seen[0]).toBe('init');
    expect(r.seen.at(-1)).toBe('exit');
    const frames = r.seen
      .filter((s) => s.startsWith('fragment'))
      .reduce((n, s) => n + Number(s.split(' ')[1]), 0);
    // Every frame ffmpeg wrote, as ffprobe counts them in the bytes handed on.
    const dir = mkdtempSync(join(tmpdir(), 'upstream-'));
    try {
      const file = join(dir, 'stream.mp4');
      writeFileSync(file, Buffer.concat(r.bytes));
      const probed = execFileSync(
        'ffprobe',
        ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file],
        { encoding: 'utf8' },
      );
      expect(frames).toBeGreaterThanOrEqual(19);
      expect(frames).toBe(Number(probed.trim()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
