import { resolve } from 'node:path';
import { builtinDetector, convertedModelPathOffThread } from '../../models/builtin-detectors.js';
import { Detector } from '../../models/detector-runner.js';
import { InferencePool } from '../../models/inference-pool.js';
import { PlateReader } from '../../models/plate-reader.js';
import type { ModelsConfig } from '../config/sections/models.js';
import type { Metrics } from '../metrics.js';
import { HELPER_NICE } from '../util/helper-threads.js';

/** What a detector reports and how confident it must be, resolved from config and the model's defaults. */
export interface DetectorProfile {
  description: string;
  scoreThreshold: number;
  personClasses: ReadonlySet<string>;
  vehicleClasses: ReadonlySet<string>;
}

/**
 * The models of the service: one inference pool shared by the object detector and the plate reader,
 * both opened on first use (a service that never sees an intrusion never loads a detector; the
 * built-in one is converted to ONNX into the cache directory the first time only).
 */
export class ModelRuntime {
  private pool: Promise<InferencePool> | undefined;
  private detectorP: Promise<Detector | undefined> | undefined;
  private platesP: Promise<PlateReader> | undefined;
  private closed = false;
  readonly profile: DetectorProfile | undefined;

  constructor(
    private readonly config: ModelsConfig,
    private readonly dataDir: string,
    private readonly metrics?: Metrics,
  ) {
    const d = config.detector;
    this.profile = d.enabled
      ? {
          description: d.path
            ? `${d.layout} export ${d.path}`
            : builtinDetector(d.model ?? 'nanodet').description,
          scoreThreshold:
            d.scoreThreshold ?? (d.path ? 0.4 : builtinDetector(d.model ?? 'nanodet').scoreThreshold),
          personClasses: new Set(d.personClasses),
          vehicleClasses: new Set(d.vehicleClasses),
        }
      : undefined;
  }

  /** Where built-in detectors are converted to. */
  get cacheDir(): string {
    return resolve(this.config.cacheDir ?? resolve(this.dataDir, 'models'));
  }

  /** The shared pool; `detector.threads/workers` and `plates.threads` still size it (deprecated keys). */
  inferencePool(): Promise<InferencePool> {
    this.pool ??= InferencePool.open({
      workers: Math.max(this.config.pool.workers, this.config.detector.workers ?? 0),
      threads: Math.max(
        this.config.pool.threads,
        this.config.detector.threads ?? 0,
        this.config.plates.threads ?? 0,
      ),
      maxQueue: this.config.pool.maxQueue,
      name: 'models',
      nice: HELPER_NICE,
    }).then((pool) => {
      if (this.metrics) {
        const depth = this.metrics.gauge(
          'sharpeyes_inference_queue_depth',
          'Inference jobs waiting for a worker',
        );
        const rejected = this.metrics.gauge(
          'sharpeyes_inference_rejected',
          'Inference jobs refused because the queue was full, since start',
        );
        pool.onChange = (s) => {
          depth.set(s.queued);
          rejected.set(s.rejected);
        };
      }
      return pool;
    });
    return this.pool;
  }

  /** The configured detector, opened on first call; undefined when disabled. Rejects with the reason. */
  detector(): Promise<Detector | undefined> {
    if (!this.detectorP) {
      const p = this.openDetector();
      // A failed open is not remembered: the next alarm tries again (e.g. after a full disk was cleared).
      p.catch(() => {
        if (this.detectorP === p) this.detectorP = undefined;
      });
      this.detectorP = p;
    }
    return this.detectorP;
  }

  private async openDetector(): Promise<Detector | undefined> {
    const d = this.config.detector;
    if (!d.enabled || !this.profile) return undefined;
    const pool = await this.inferencePool();
    const common = {
      pool,
      name: 'detector',
      keepClasses: d.keepClasses,
      scoreThreshold: this.profile.scoreThreshold,
      batchSize: d.batchSize,
    };
    if (d.path) {
      return Detector.open({
        ...common,
        model: d.path,
        layout: d.layout ?? 'yolov8',
        inputSize: d.inputSize,
        classes: d.classes ?? [],
        ...(d.iouThreshold !== undefined ? { iouThreshold: d.iouThreshold } : {}),
      });
    }
    const spec = builtinDetector(d.model ?? 'nanodet');
    return Detector.open({
      ...common,
      model: await convertedModelPathOffThread(spec, this.cacheDir, HELPER_NICE),
      layout: spec.layout,
      inputSize: spec.input.size,
      input: spec.input,
      classes: spec.classes,
      iouThreshold: d.iouThreshold ?? spec.iouThreshold,
    });
  }

  /** The plate reader (PaddleOCR) on the same pool. */
  plates(): Promise<PlateReader> {
    const p = this.config.plates;
    this.platesP ??= this.inferencePool().then((pool) =>
      PlateReader.open({
        pool,
        ...(p.detModel ? { detModel: p.detModel } : {}),
        ...(p.recModel ? { recModel: p.recModel } : {}),
        ...(p.dictionary ? { dictionary: p.dictionary } : {}),
      }),
    );
    return this.platesP;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pool = await this.pool?.catch(() => undefined);
    await pool?.close();
  }
}
