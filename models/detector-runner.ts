import { type Detection, decodeOutput, nms, type OutputLayout } from './detector-decode.js';
import { type Letterbox, letterboxInto, unletterbox } from './detector-preprocess.js';
import type { RgbImage } from './image.js';
import { ModelError } from './model-error.js';
import { OnnxPool } from './onnx-pool.js';

export interface DetectorOptions {
  /** ONNX file (or bytes, for tests). */
  model: string | Uint8Array;
  layout: OutputLayout;
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
  /** onnxruntime intra-op threads of the worker's session. */
  threads?: number;
  /** Worker threads (parallel batches). */
  workers?: number;
  /** YOLOv8 exports take 0..1, YOLOX 0..255; defaults follow the layout. */
  normalize?: boolean;
}

export interface NamedDetection extends Detection {
  label: string;
}

interface Queued {
  img: RgbImage;
  resolve(d: NamedDetection[]): void;
  reject(e: Error): void;
}

/**
 * A YOLOv8/YOLOX detector: letterbox, inference in a worker pool, decode, class filter, NMS, boxes back
 * in source pixels. Concurrent `detect` calls are grouped into batches of up to `batchSize`.
 */
export class Detector {
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private readonly keep: ReadonlySet<number> | undefined;
  private readonly batchSize: number;
  private readonly maxInFlight: number;

  private constructor(
    private readonly pool: OnnxPool,
    readonly opts: DetectorOptions,
  ) {
    const wanted = opts.keepClasses ?? [];
    for (const name of wanted)
      if (!opts.classes.includes(name)) throw new ModelError(`keepClasses names unknown class "${name}"`);
    this.keep = wanted.length ? new Set(wanted.map((n) => opts.classes.indexOf(n))) : undefined;
    this.batchSize = Math.max(1, opts.batchSize ?? 1);
    // One batch more than workers: the next batch is letterboxed while the workers infer.
    this.maxInFlight = Math.max(1, opts.workers ?? 1) + 1;
  }

  static async open(opts: DetectorOptions): Promise<Detector> {
    const pool = await OnnxPool.open({
      model: opts.model,
      threads: opts.threads ?? 1,
      workers: opts.workers ?? 1,
      name: 'detector',
    });
    return new Detector(pool, opts);
  }

  detect(img: RgbImage): Promise<NamedDetection[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ img, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.inFlight++;
      this.runBatch(batch)
        .catch((err: Error) => {
          for (const q of batch) q.reject(err);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    const { inputSize: s, layout } = this.opts;
    const per = 3 * s * s;
    const input = new Float32Array(per * batch.length);
    const normalize = this.opts.normalize ?? layout === 'yolov8';
    const boxes: Letterbox[] = batch.map((q, i) => letterboxInto(q.img, s, input, i * per, normalize));
    const inputName = this.pool.inputNames[0]!;
    const out = await this.pool.run({ [inputName]: { dims: [batch.length, 3, s, s], data: input } });
    const t = out[this.pool.outputNames[0]!];
    if (!t) throw new ModelError('detector returned no output');
    const expected =
      layout === 'yolov8'
        ? t.dims[1] === 4 + this.opts.classes.length
        : t.dims[2] === 5 + this.opts.classes.length;
    if (!expected)
      throw new ModelError(
        `output shape [${t.dims.join(',')}] does not fit layout ${layout} with ${this.opts.classes.length} classes`,
      );
    batch.forEach((q, i) => {
      const raw = decodeOutput(t.data, t.dims, i, {
        layout,
        scoreThreshold: this.opts.scoreThreshold ?? 0.4,
        ...(this.keep ? { keep: this.keep } : {}),
      });
      const kept = nms(raw, this.opts.iouThreshold ?? 0.45).map((d) => ({
        ...d,
        box: unletterbox(d.box, boxes[i]!),
        label: this.opts.classes[d.classId] ?? String(d.classId),
      }));
      q.resolve(kept);
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
