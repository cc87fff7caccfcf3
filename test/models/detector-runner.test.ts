import { afterAll, describe, expect, it } from 'vitest';
import { Detector } from '../../models/detector-runner.js';
import { buildSyntheticDetector, type SyntheticAnchor } from '../../models/detector-synthetic.js';
import type { RgbImage } from '../../models/image.js';

const SIZE = 64;
const CLASSES = ['person', 'car'];
// Two overlapping persons (IoU ≈ 0.68), one car over the first, one small person far away.
const ANCHORS: SyntheticAnchor[] = [
  { box: [20, 32, 16, 32], cls: 0, weight: 0.9 },
  { box: [22, 32, 16, 32], cls: 0, weight: 0.8 },
  { box: [20, 32, 16, 32], cls: 1, weight: 0.7 },
  { box: [52, 12, 8, 8], cls: 0, weight: 0.5 },
];

function solid(width: number, height: number, value: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

const opened: Detector[] = [];
async function open(layout: 'yolov8' | 'yolox', extra: Partial<Parameters<typeof Detector.open>[0]> = {}) {
  const model = buildSyntheticDetector({ layout, size: SIZE, classes: CLASSES.length, anchors: ANCHORS });
  const d = await Detector.open({
    model,
    layout,
    inputSize: SIZE,
    classes: CLASSES,
    scoreThreshold: 0.3,
    ...extra,
  });
  opened.push(d);
  return d;
}

afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
});

describe.each(['yolov8', 'yolox'] as const)('detector runner, %s layout', (layout) => {
  // YOLOv8 takes 0..1, YOLOX 0..255: the synthetic score is weight × input mean, so scale the weights'
  // effect by the layout's input range through the image value.
  const white = layout === 'yolov8' ? 255 : 1;
  const dark = layout === 'yolov8' ? 40 : 0.1;

  it('decodes, applies NMS per class and keeps the best of overlapping boxes', async () => {
    const d = await open(layout);
    const dets = await d.detect(solid(SIZE, SIZE, Math.round(white)));
    const summary = dets.map((x) => [x.label, Math.round(x.score * 100) / 100]);
    // The 0.8 person overlaps the 0.9 person and is suppressed; the car survives (other class).
    expect(summary).toEqual([
      ['person', 0.9],
      ['car', 0.7],
      ['person', 0.5],
    ]);
    expect(dets[0]!.box.map(Math.round)).toEqual([12, 16, 28, 48]);
  });

  it('drops scores under the threshold (a dark frame scores low)', async () => {
    const d = await open(layout);
    expect(await d.detect(solid(SIZE, SIZE, Math.round(dark)))).toEqual([]);
  });

  it('projects boxes back through the letterbox of a wide image', async () => {
    const d = await open(layout);
    // 128×64 → scale 0.5: a 64×32 image centred in the square with 16 px of grey above and below.
    const dets = await d.detect(solid(128, 64, Math.round(white)));
    const best = dets.find((x) => x.label === 'person')!;
    // Input box x 12..28, y 16..48 → source x 24..56, y (16-16)/0.5 .. (48-16)/0.5 = 0..64 (clamped).
    expect(best.box.map(Math.round)).toEqual([24, 0, 56, 64]);
  });

  it('filters classes', async () => {
    const d = await open(layout, { keepClasses: ['car'] });
    const dets = await d.detect(solid(SIZE, SIZE, Math.round(white)));
    expect(dets.map((x) => x.label)).toEqual(['car']);
  });

  it('batches concurrent frames and gives each its own result', async () => {
    const d = await open(layout, { batchSize: 4 });
    const frames = [white, dark, white, dark].map((v) => solid(SIZE, SIZE, Math.round(v)));
    const results = await Promise.all(frames.map((f) => d.detect(f)));
    expect(results.map((r) => r.length)).toEqual([3, 0, 3, 0]);
  });
});

describe('detector runner errors', () => {
  it('refuses a class list that does not fit the output', async () => {
    const d = await open('yolov8', { classes: ['person', 'car', 'bus'] });
    await expect(d.detect(solid(SIZE, SIZE, 255))).rejects.toThrow(
      /does not fit layout yolov8 with 3 classes/,
    );
  });

  it('refuses a model file that is not ONNX', async () => {
    await expect(
      Detector.open({ model: new Uint8Array([1, 2, 3]), layout: 'yolov8', inputSize: 64, classes: CLASSES }),
    ).rejects.toThrow(/models: cannot load/);
  });

  it('refuses keepClasses naming an unknown class', async () => {
    await expect(open('yolov8', { keepClasses: ['dog'] })).rejects.toThrow(/unknown class "dog"/);
  });
});

describe('InferencePool', () => {
  const input = () => ({ images: { dims: [1, 3, SIZE, SIZE], data: new Float32Array(3 * SIZE * SIZE) } });
  const model = () => buildSyntheticDetector({ layout: 'yolov8', size: SIZE, classes: 2, anchors: ANCHORS });

  it('rejects in-flight and later runs with a clear error when its worker dies', async () => {
    const { InferencePool } = await import('../../models/inference-pool.js');
    const pool = await InferencePool.open({ name: 'doomed' });
    pool.register('det', model());
    await pool.load('det');
    const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    // The worker is told to stop, then sent a run before it has gone: that run is in flight when it dies.
    const dying = slots[0]!.worker.terminate();
    const inFlight = pool.run('det', input());
    await dying;
    await expect(inFlight).rejects.toThrow(/doomed: worker exited/);
    await expect(pool.run('det', input())).rejects.toThrow(/doomed: every worker has exited/);
    await pool.close();
  });

  it('refuses work beyond its bound at once and runs everything it accepted', async () => {
    const { InferencePool } = await import('../../models/inference-pool.js');
    // One worker takes two jobs ahead, the queue holds three more: the sixth of a burst is refused.
    const pool = await InferencePool.open({ name: 'bounded', maxQueue: 3 });
    pool.register('det', model());
    await pool.load('det');
    const burst = Array.from({ length: 6 }, () => pool.run('det', input()));
    const settled = await Promise.allSettled(burst);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    const refused = settled[5] as PromiseRejectedResult;
    expect(refused.reason.message).toMatch(/bounded: queue full \(3 waiting\)/);
    expect(refused.reason.data).toEqual({ code: 'queue_full', model: 'det' });
    expect(pool.stats()).toMatchObject({ queued: 0, running: 0, completed: 5, rejected: 1 });
    // Once drained the pool takes work again.
    await expect(pool.run('det', input())).resolves.toHaveProperty('output0');
    await pool.close();
  });

  it('runs several models in the same workers, loading each on first use', async () => {
    const { InferencePool } = await import('../../models/inference-pool.js');
    const pool = await InferencePool.open({ name: 'shared', workers: 2 });
    const yolox = buildSyntheticDetector({ layout: 'yolox', size: SIZE, classes: 2, anchors: ANCHORS });
    pool.register('a', model());
    pool.register('b', yolox);
    const [a, b] = await Promise.all([pool.run('a', input()), pool.run('b', input())]);
    expect(a['output0']!.dims).toEqual([1, 6, ANCHORS.length]);
    expect(b['output0']!.dims).toEqual([1, ANCHORS.length, 7]);
    await expect(pool.run('c', input())).rejects.toThrow(/shared: unknown model c/);
    await pool.close();
  });
});
