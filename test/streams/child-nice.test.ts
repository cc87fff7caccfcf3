import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJpeg, ffmpeg } from '../../models/image.js';
import { FrameReader } from '../../models/motion-frames.js';
import { FFMPEG_NICE, lowerChild } from '../../streams/child-nice.js';
import { snapshotFromClip, spawnConcat } from '../../streams/clip-assembler.js';
import { decodeJpeg } from '../../streams/live-snapshot.js';

const niceOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};
const want = Math.min(19, getPriority() + FFMPEG_NICE);

describe('lowerChild', () => {
  it('sets a child FFMPEG_NICE below this thread, and leaves it with nice 0 or no pid', async () => {
    const a = spawn('sleep', ['5']);
    const b = spawn('sleep', ['5']);
    try {
      expect(lowerChild(a.pid)).toBeUndefined();
      expect(niceOf(a.pid!)).toBe(want);
      expect(lowerChild(b.pid, 0)).toBeUndefined();
      expect(niceOf(b.pid!)).toBe(getPriority());
      expect(lowerChild(undefined)).toBeUndefined();
    } finally {
      a.kill();
      b.kill();
    }
  });

  it('says why when the system refuses (a process that is gone)', () => {
    expect(lowerChild(2 ** 22 + 12345)).toMatch(/ESRCH|no such process/i);
  });
});

// Issue 13: on two cores a decoder at the service's priority is an equal the alarm thread waits
// behind when a panic wakes it. An `ffmpeg` first on the PATH notes the nice it runs at (after a
// moment, so the service has lowered it) and then runs the real one.
describe('every ffmpeg the service starts for an alarm or a person', () => {
  let dir: string;
  let log: string;
  let wrapper: string;
  const path = process.env['PATH'];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-child-nice-'));
    log = join(dir, 'nice.log');
    wrapper = join(dir, 'ffmpeg');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nsleep 0.3\nawk '{ print $19 }' /proc/$$/stat >> '${log}'\nexec /usr/bin/ffmpeg "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    process.env['PATH'] = `${dir}:${path}`;
  });
  afterAll(() => {
    process.env['PATH'] = path;
    rmSync(dir, { recursive: true, force: true });
  });
  const seen = () => readFileSync(log, 'utf8').trim().split('\n').map(Number);

  it('runs FFMPEG_NICE below it: frames, JPEGs, verification frames, snapshots, clips, playback', async () => {
    const lavfi = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=1'];
    await ffmpeg([...lavfi, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    await encodeJpeg({ width: 2, height: 2, data: new Uint8Array(12) });
    await new Promise<void>((resolve) => {
      const r = new FrameReader({
        url: 'testsrc=size=64x48:rate=5:duration=1',
        inputOptions: ['-f', 'lavfi'],
        width: 32,
        height: 24,
        fps: 5,
        pixelFormat: 'gray',
        onFrame: () => undefined,
        onEnd: () => resolve(),
      });
      void r;
    });
    // Fed nothing they can use, these fail; what matters is how low they ran.
    await decodeJpeg(Buffer.from('no'), Buffer.from('video'), { ffmpegPath: wrapper }).catch(() => undefined);
    await snapshotFromClip(join(dir, 'missing.mp4'), join(dir, 'out.jpg'), 0, wrapper).catch(() => undefined);
    const concat = await spawnConcat([], { out: ['-f', 'null', '-'], ffmpeg: wrapper });
    await concat.done;
    expect(seen()).toEqual([want, want, want, want, want, want]);
  });
});
