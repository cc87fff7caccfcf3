import { type Detection, decodeOutput, nms, type OutputLayout } from './detector-decode.js';
import {
  type InputSpec,
  type Letterbox,
  letterboxTensor,
  PAD_VALUE,
  unletterbox,
} from './detector-preprocess.js';
import { decodeCenternet, decodeNanodet } from './grid-decode.js';
import type { RgbImage } from './image.js';
import { type FloatTensor, InferencePool } from './inference-pool.js';
import { ModelError } from './model-error.js';

/** Output layouts the runner decodes: YOLO exports, and the two built-in COCO detectors. */
export type DetectorLayout = OutputLayout | 'nanodet' | 'centernet';

export interface DetectorOptions {
  /** ONNX file (or bytes, for tests). */
  model: string | Uint8Array;
  layout: DetectorLayout;
  /** Square input side of the export, e.g. 640. */
  inputSize: number;
  /** Class names in model order (COCO for stock exports). */
  classes: readonly string[];
  /** Class names to report; all when empty. */
  keepClasses?: readonly string[];
  scoreThreshold?: number;
  iouThreshold?: number;
  /** Images per inference; the export must have a dynamic batch axis when above 1. */
  batchSize?: number;
  /** Own pool only: onnxruntime intra-op threads per worker. */
  threads?: number;
  /** Own pool only: worker threads. */
  workers?: number;
  /** YOLOv8 exports take 0..1, YOLOX 0..255; defaults follow the layout. */
  normalize?: boolean;
  /** The input pipeline; by default the YOLO one (RGB, grey letterbox) scaled per `normalize`. */
  input?: InputSpec;
  /** The service's shared pool; without one the detector opens (and closes) its own. */
  pool?: InferencePool;
  /** Name of the model in the pool. */
  name?: string;
}

export interface NamedDetection extends Detection {
  label: string;
}

interface Pending {
  input: Float32Array;
  box: Letterbox;
  resolve(d: NamedDetection[]): void;
  reject(e: Error): void;
}

function yoloInput(size: number, layout: DetectorLayout, normalize: boolean | undefined): InputSpec {
  const std = (normalize ?? layout === 'yolov8') ? 255 : 1;
  return {
    size,
    layout: 'nchw',
    order: 'rgb',
    mean: [0, 0, 0],
    std: [std, std, std],
    pad: PAD_VALUE,
    resample: 'nearest',
  };
}

/**
 * An object detector on the inference pool: letterbox (on the calling thread, it is cheap), inference
 * in a worker, decode, class filter, per-class NMS, boxes back in source pixels. Concurrent `detect`
 * calls of one tick are grouped into batches of up to `batchSize` (YOLO exports with a dynamic batch).
 * A full pool queue rejects with `code: 'queue_full'`: the caller analyses fewer frames.
 */
export class Detector {
  private readonly keep: ReadonlySet<number> | undefined;
  private readonly batchSize: number;
  private readonly input: InputSpec;
  private readonly name: string;
  private pending: Pending[] = [];
  private flushing = false;

  private constructor(
    private readonly pool: InferencePool,
    private readonly ownPool: boolean,
    readonly opts: DetectorOptions,
  ) {
    const wanted = opts.keepClasses ?? [];
    for (const name of wanted)
      if (!opts.classes.includes(name)) throw new ModelError(`keepClasses names unknown class "${name}"`);
    this.keep = wanted.length ? new Set(wanted.map((n) => opts.classes.indexOf(n))) : undefined;
    const grid = opts.layout === 'nanodet' || opts.layout === 'centernet';
    // The built-in graphs have a fixed batch of one.
    this.batchSize = grid ? 1 : Math.max(1, opts.batchSize ?? 1);
    this.input = opts.input ?? yoloInput(opts.inputSize, opts.layout, opts.normalize);
    this.name = opts.name ?? 'detector';
  }

  /** Opens the detector on `opts.pool` (or a pool of its own) and loads its model in every worker. */
  static async open(opts: DetectorOptions): Promise<Detector> {
    const own = !opts.pool;
    const pool =
      opts.pool ??
      (await InferencePool.open({
        workers: opts.workers ?? 1,
        threads: opts.threads ?? 1,
        name: 'detector',
      }));
    try {
      const d = new Detector(pool, own, opts);
      pool.register(d.name, opts.model);
      await pool.load(d.name);
      return d;
    } catch (err) {
      if (own) await pool.close();
      throw err;
    }
  }

  detect(img: RgbImage): Promise<NamedDetection[]> {
    const s = this.input.size;
    const input = new Float32Array(3 * s * s);
    const box = letterboxTensor(img, this.input, input, 0);
    return new Promise((resolve, reject) => {
      this.pending.push({ input, box, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // Calls made in the same tick (Promise.all over frames) share batches.
      queueMicrotask(() => {
        this.flushing = false;
        const all = this.pending;
        this.pending = [];
        for (let i = 0; i < all.length; i += this.batchSize)
          void this.runBatch(all.slice(i, i + this.batchSize));
      });
    });
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    try {
      const s = this.input.size;
      const per = 3 * s * s;
      let data: Float32Array;
      if (batch.length === 1) data = batch[0]!.input;
      else {
        data = new Float32Array(per * batch.length);
        batch.forEach((p, i) => {
          data.set(p.input, i * per);
        });
      }
      const dims = this.input.layout === 'nchw' ? [batch.length, 3, s, s] : [batch.length, s, s, 3];
      const { inputNames } = this.pool.names(this.name);
      const out = await this.pool.run(this.name, { [inputNames[0]!]: { dims, data } });
      batch.forEach((p, i) => {
        const raw = this.decode(out, i);
        const kept = nms(raw, this.opts.iouThreshold ?? 0.45).map((d) => ({
          ...d,
          box: unletterbox(d.box, p.box),
          label: this.opts.classes[d.classId] ?? String(d.classId),
        }));
        p.resolve(kept);
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  private decode(out: Record<string, FloatTensor>, image: number): Detection[] {
    const { layout, classes } = this.opts;
    const scoreThreshold = this.opts.scoreThreshold ?? 0.4;
    const keep = this.keep ? { keep: this.keep } : {};
    const grid = { inputSize: this.input.size, scoreThreshold, ...keep };
    if (layout === 'nanodet') return decodeNanodet(out, classes.length, grid);
    if (layout === 'centernet') {
      const heat = Object.values(out).find((t) => t.dims[3] === classes.length);
      const wh = Object.values(out).find((t) => t.dims[3] === 4);
      if (!heat || !wh) throw new ModelError(`centernet outputs do not fit ${classes.length} classes`);
      return decodeCenternet(heat, wh, grid);
    }
    const t = out[this.pool.names(this.name).outputNames[0]!];
    if (!t) throw new ModelError('detector returned no output');
    const fits = layout === 'yolov8' ? t.dims[1] === 4 + classes.length : t.dims[2] === 5 + classes.length;
    if (!fits)
      throw new ModelError(
        `output shape [${t.dims.join(',')}] does not fit layout ${layout} with ${classes.length} classes`,
      );
    return decodeOutput(t.data, t.dims, image, { layout, scoreThreshold, ...keep });
  }

  close(): Promise<void> {
    return this.ownPool ? this.pool.close() : Promise.resolve();
  }
}
