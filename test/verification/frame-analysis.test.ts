import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, type RgbImage, resizeRgb } from '../../models/image.js';
import { modelsSchema } from '../../src/config/sections/models.js';
import { analyseCamera, spreadIndices } from '../../src/verification/frame-analysis.js';
import { ModelRuntime } from '../../src/verification/model-runtime.js';
import { OPENCV_DATA } from '../fixtures/models/opencv-samples.js';

describe('spreadIndices', () => {
  it.each([
    { total: 24, count: 8, want: [13, 7, 19, 4, 10, 16, 22, 1] },
    { total: 5, count: 8, want: [2, 1, 3, 0, 4] },
    { total: 10, count: 1, want: [5] },
    { total: 0, count: 4, want: [] },
  ])('$count of $total frames, coarse to fine: $want', ({ total, count, want }) => {
    const got = spreadIndices(total, count);
    expect(got).toEqual(want);
    expect(new Set(got).size).toBe(got.length);
  });
});

let dir: string;
let runtime: ModelRuntime;
const frames: RgbImage[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-analysis-'));
  // The real detector on a pool that holds no waiting job at all: one worker, two in flight, the rest
  // refused at once (queue_full), as in a burst of alarms.
  const config = modelsSchema.parse({ pool: { maxQueue: 0 }, verification: { maxFramesPerCamera: 6 } });
  runtime = new ModelRuntime(config, dir);
  for (const at of [20, 21, 22, 23, 24, 25]) {
    const f = await decodeImageFile(join(OPENCV_DATA, 'vtest.avi'), 30, at);
    frames.push(resizeRgb(f, 640, 480));
  }
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

const analyse = async (camera: string, deadline: number) =>
  analyseCamera(
    camera,
    { frames, source: 'live' },
    {
      config: modelsSchema.parse({}),
      detector: await runtime.detector(),
      profile: runtime.profile,
      wanted: 6,
      deadline,
      vehicles: false,
    },
  );

describe('analyseCamera on real footage', () => {
  it('a burst on a full pool: refused frames are offered again, every camera is judged on its frames', async () => {
    const cams = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.all(cams.map((c) => analyse(c, Date.now() + 120_000)));
    for (const r of results) {
      expect(r.summary.analysed).toBeGreaterThanOrEqual(1);
      expect(r.summary.person).toBeGreaterThanOrEqual(0.5);
      expect(r.person?.detections.some((d) => d.label === 'person')).toBe(true);
    }
    // Two frames run at a time and five cameras asked at once: the pool refused some, and those were
    // offered again (the deadline here is far away, so nothing was shed).
    expect((await runtime.inferencePool()).stats().rejected).toBeGreaterThan(0);
    expect(results.map((r) => r.summary.shed)).toEqual([0, 0, 0, 0, 0]);
  });

  it('past its deadline a camera offers no frame: all shed, motion still measured', async () => {
    const r = await analyse('late', Date.now() - 1);
    expect(r.summary).toMatchObject({ frames: 6, analysed: 0, shed: 6, person: 0 });
    expect(r.summary.motion).toBeGreaterThan(0);
    expect(r.person).toBeUndefined();
  });
});
