import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Detector } from '../../models/detector-runner.js';
import { decodeImageFile } from '../../models/image.js';
import { commonOptions, configFrom, type Verb } from './common.js';

export const detectVerb: Verb = {
  name: 'detect',
  summary: 'run the configured object detector on an image and print the detections as JSON',
  usage: 'detect IMAGE [--model F.onnx --layout yolov8|yolox --classes a,b,… --size 640] [--threshold 0.4]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...commonOptions,
        model: { type: 'string' },
        layout: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
        threshold: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const image = positionals[0];
    if (!image || positionals.length > 1) throw new Error('give exactly one IMAGE file');
    if (!existsSync(image)) throw new Error(`image ${image} does not exist`);
    const { config } = configFrom(values);
    const d = config.models.detector;
    const model = values.model ?? d?.path;
    if (!model) throw new Error('no detector: set models.detector.path in the config or pass --model');
    if (!existsSync(model)) throw new Error(`model ${model} does not exist (see models/README.md)`);
    const layout = values.layout ?? d?.layout ?? 'yolov8';
    if (layout !== 'yolov8' && layout !== 'yolox')
      throw new Error(`--layout must be yolov8 or yolox, got "${layout}"`);
    const classes = values.classes?.split(',') ?? d?.classes;
    if (!classes?.length)
      throw new Error('--classes (comma separated, model order) is required without a config');
    const size = Number(values.size ?? d?.inputSize ?? 640);
    const threshold = Number(values.threshold ?? d?.scoreThreshold ?? 0.4);
    if (!Number.isInteger(size) || size < 32)
      throw new Error(`--size must be an integer ≥ 32, got "${values.size}"`);
    if (!(threshold >= 0 && threshold <= 1))
      throw new Error(`--threshold must be 0..1, got "${values.threshold}"`);
    const img = await decodeImageFile(image);
    const detector = await Detector.open({
      model,
      layout,
      inputSize: size,
      classes,
      scoreThreshold: threshold,
      ...(d ? { iouThreshold: d.iouThreshold, threads: d.threads, keepClasses: d.keepClasses } : {}),
    });
    try {
      const t0 = performance.now();
      const detections = await detector.detect(img);
      const ms = performance.now() - t0;
      const out = {
        image,
        width: img.width,
        height: img.height,
        ms: Math.round(ms * 10) / 10,
        detections: detections.map((x) => ({
          label: x.label,
          score: Math.round(x.score * 1e4) / 1e4,
          box: x.box.map((v) => Math.round(v * 10) / 10),
        })),
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    } finally {
      await detector.close();
    }
  },
};
