import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopVideo, OPENCV_VTEST, prepareLoopVideo } from '../../../drivers/simulator/loop-video.js';
import { type RtspSource, startRtspSource } from '../../../drivers/simulator/rtsp-source.js';

const run = promisify(execFile);
let dir: string;
let video: LoopVideo;
let src: RtspSource;
const MOUNTS = ['main', 'cam2', 'cam3', 'cam4', 'cam5', 'cam6', 'cam7', 'cam8'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-loop-'));
  // A 3-second loop: a few seconds of reading cross the loop point twice.
  video = await prepareLoopVideo({ source: OPENCV_VTEST, width: 384, height: 288, fps: 10, seconds: 3 }, dir);
  src = await startRtspSource({
    videos: Object.fromEntries(MOUNTS.map((m) => [m, { file: video.file }])),
  });
});
afterAll(async () => {
  await src?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function packets(input: string[], seconds: number): Promise<{ pts: number; key: boolean }[]> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', ...input, '-select_streams', 'v:0', '-read_intervals', `%+${seconds}`],
      ...['-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0'],
    ],
    { timeout: 60_000 },
  );
  // Side data adds lines with no pts, and the first packet after joining may have none (N/A).
  return stdout
    .split('\n')
    .map((l) => l.split(','))
    .filter(([pts]) => pts !== undefined && /^\d/.test(pts))
    .map(([pts, flags]) => ({ pts: Number(pts), key: flags?.startsWith('K') ?? false }));
}

/** md5 of each decoded frame, in order. */
async function frameHashes(input: string[], frames: number): Promise<string[]> {
  const { stdout } = await run(
    'ffmpeg',
    [...['-v', 'error', ...input, '-frames:v', String(frames), '-f', 'framemd5', '-']],
    { timeout: 60_000 },
  );
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

describe('prepareLoopVideo', () => {
  it('encodes once: H.264 constrained baseline yuv420p, whole seconds, a keyframe every second', async () => {
    const { stdout } = await run('ffprobe', [
      ...['-v', 'error', '-count_frames', '-show_entries'],
      ...['stream=codec_name,profile,pix_fmt,width,height,nb_read_frames', '-of', 'json', video.file],
    ]);
    expect(JSON.parse(stdout).streams[0]).toEqual({
      codec_name: 'h264',
      profile: 'Constrained Baseline',
      pix_fmt: 'yuv420p',
      width: 384,
      height: 288,
      nb_read_frames: '30',
    });
    expect(video).toMatchObject({ width: 384, height: 288, fps: 10, seconds: 3 });
    const inFile = await packets(['-i', video.file], 99);
    expect(inFile.map((p) => p.pts)).toEqual(Array.from({ length: 30 }, (_, i) => expect.closeTo(i / 10, 5)));
    const keyAt = inFile.flatMap((p, i) => (p.key ? [i] : []));
    expect(keyAt).toEqual([0, 10, 20]);
    // Asked again: the cached file, not a new encode.
    const before = statSync(video.file).mtimeMs;
    const again = await prepareLoopVideo(
      { source: OPENCV_VTEST, width: 384, height: 288, fps: 10, seconds: 3 },
      dir,
    );
    expect(again.file).toBe(video.file);
    expect(statSync(again.file).mtimeMs).toBe(before);
  });

  it('refuses a source that does not exist, by name', async () => {
    await expect(
      prepareLoopVideo({ source: join(dir, 'nope.avi'), width: 64, height: 48, fps: 10 }, dir),
    ).rejects.toThrow(/loop-video: .*nope.avi does not exist/);
  });
});

describe('looped file over RTSP', () => {
  it('runs media time on monotonically across the loop point, in real time, a keyframe every second', async () => {
    const t0 = Date.now();
    const got = await packets(['-rtsp_transport', 'tcp', '-i', src.url('main')], 7.5);
    const wall = (Date.now() - t0) / 1000;
    expect(got.length).toBeGreaterThanOrEqual(60); // more than two loops of 30 frames
    for (let i = 1; i < got.length; i++) expect(got[i]!.pts - got[i - 1]!.pts).toBeCloseTo(0.1, 3);
    const keys = got.filter((p) => p.key).map((p) => p.pts);
    for (let i = 1; i < keys.length; i++) expect(keys[i]! - keys[i - 1]!).toBeCloseTo(1, 3);
    // Paced like a camera: the media time covered is never more than the wall time it took to read.
    expect(got.at(-1)!.pts - got[0]!.pts).toBeLessThanOrEqual(wall + 0.5);
  });

  it('serves the file bit for bit (no re-encoding): decoded frames equal the file’s, loop after loop', async () => {
    const fromFile = await frameHashes(['-i', video.file], 30);
    const fromRtsp = await frameHashes(['-rtsp_transport', 'tcp', '-i', src.url('cam5')], 75);
    // Each reader gets its own loop; find where this one starts (a keyframe) all the same.
    const start = fromFile.indexOf(fromRtsp[0]!);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start % 10).toBe(0);
    fromRtsp.forEach((h, i) => {
      expect(h).toBe(fromFile[(start + i) % 30]);
    });
  });

  it('serves readers of one mount at the same time (each its own loop: no 503 on the second PLAY)', async () => {
    const probeOne = () =>
      run(
        'ffprobe',
        [
          ...['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=width'],
          ...['-of', 'csv=p=0', src.url('cam2')],
        ],
        { timeout: 30_000 },
      ).then((r) => r.stdout.trim());
    expect(await Promise.all([probeOne(), probeOne(), probeOne()])).toEqual(['384', '384', '384']);
  });

  it.each(MOUNTS)('mount /%s of the same file answers', async (mount) => {
    const { stdout } = await run(
      'ffprobe',
      [
        ...['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height'],
        ...['-of', 'csv=p=0', src.url(mount)],
      ],
      { timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('h264,384,288');
  });
});
