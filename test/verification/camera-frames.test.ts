import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { Service } from '../../src/service.js';
import { sampleCamera } from '../../src/verification/camera-frames.js';
import { renderClip } from '../fixtures/models/videos.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-sample-'));
  // Two recorded segments as the recorder lays them out (<storage>/<camera>/<day>/<start>.mp4).
  renderClip(join(dir, 'seg-1.mp4'), { seconds: 2, moving: true });
  renderClip(join(dir, 'seg-2.mp4'), { seconds: 2, moving: true });
  renderClip(join(dir, 'live.mp4'), { seconds: 2, moving: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Just the parts of the service sampleCamera reads: the recording index and the camera's URL. */
function fakeService(opts: { segments: boolean; rtsp?: string }): Service {
  const parts = new Map<string, unknown>();
  if (opts.segments)
    parts.set('recording', {
      index: {
        segments: (camera: string, fromMs: number, toMs: number) => {
          expect(camera).toBe('cam-1');
          expect(toMs - fromMs).toBe(4000);
          return ['seg-1.mp4', 'seg-2.mp4'].map((path, i) => ({
            storage: dir,
            path,
            startMs: i * 2000,
            endMs: (i + 1) * 2000,
          }));
        },
      },
    });
  return {
    parts,
    log: silentLogger,
    dir: { camera: () => (opts.rtsp ? { id: 'cam-1', rtsp: opts.rtsp } : undefined) },
  } as unknown as Service;
}

const base = { width: 64, height: 36, fps: 2, seconds: 1, at: new Date() };

describe('sampleCamera', () => {
  it('takes the preroll from recorded segments, then live frames from the camera URL', async () => {
    const svc = fakeService({ segments: true, rtsp: join(dir, 'live.mp4') });
    const got = await sampleCamera(svc, 'cam-1', { ...base, prerollSeconds: 4 });
    expect(got.source).toBe('recording');
    // 4 s of preroll at 2 fps, then 1 s of live at 2 fps.
    expect(got.frames.length).toBeGreaterThanOrEqual(9);
    expect(got.frames.length).toBeLessThanOrEqual(11);
    expect(got.frames.every((f) => f.data.length === 64 * 36 * 3)).toBe(true);
  });

  it.each([
    {
      name: 'live only',
      svc: () => fakeService({ segments: false, rtsp: join(dir, 'live.mp4') }),
      source: 'live',
      error: undefined,
    },
    { name: 'no URL', svc: () => fakeService({ segments: false }), source: 'none', error: /no stream URL/ },
    {
      name: 'an unreadable URL',
      svc: () => fakeService({ segments: false, rtsp: join(dir, 'missing.mp4') }),
      source: 'none',
      error: /live: ffmpeg exited 1/,
    },
  ])('$name → $source', async ({ svc, source, error }) => {
    const got = await sampleCamera(svc(), 'cam-1', { ...base, prerollSeconds: 0 });
    expect(got.source).toBe(source);
    if (error) expect(got.error).toMatch(error);
    else expect(got.error).toBeUndefined();
  });

  it('ends at once when the service stops, from a camera that accepts and never answers', async () => {
    // A dark camera: the TCP port answers, RTSP never does (ffmpeg would wait its full window).
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const stop = new AbortController();
      const sampling = sampleCamera(
        fakeService({ segments: false, rtsp: `rtsp://127.0.0.1:${port}/sub` }),
        'cam-1',
        {
          ...base,
          seconds: 60,
          prerollSeconds: 0,
          signal: stop.signal,
        },
      );
      setTimeout(() => stop.abort(), 500);
      // Without the signal this waits the 60-second window and more: past the test's timeout.
      const got = await sampling;
      expect(got.frames).toEqual([]);
      expect(got.source).toBe('none');
      expect(got.error).toMatch(/^live: /);
    } finally {
      silent.close();
    }
  });
});
