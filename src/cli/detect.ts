import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BUILTIN_DETECTORS, type BuiltinDetectorName } from '../../models/builtin-detectors.js';
import { decodeImageFile, encodeJpeg } from '../../models/image.js';
import type { ModelsConfig } from '../config/sections/models.js';
import { ModelRuntime } from '../verification/model-runtime.js';
import { commonOptions, configFrom, type Verb } from './common.js';

/** The detector section with the command line's overrides applied. */
function detectorConfig(
  base: ModelsConfig['detector'],
  v: {
    builtin?: string;
    model?: string;
    layout?: string;
    classes?: string;
    size?: string;
    threshold?: string;
  },
): ModelsConfig['detector'] {
  const d: ModelsConfig['detector'] = { ...base, enabled: true };
  if (v.builtin !== undefined) {
    if (!BUILTIN_DETECTORS.includes(v.builtin as BuiltinDetectorName))
      throw new Error(`--builtin must be one of ${BUILTIN_DETECTORS.join(', ')}, got "${v.builtin}"`);
    d.model = v.builtin as BuiltinDetectorName;
    delete d.path;
  }
  if (v.model !== undefined) {
    if (!existsSync(v.model)) throw new Error(`model ${v.model} does not exist (see models/README.md)`);
    d.path = v.model;
    delete d.model;
  }
  if (v.layout !== undefined) {
    if (v.layout !== 'yolov8' && v.layout !== 'yolox')
      throw new Error(`--layout must be yolov8 or yolox, got "${v.layout}"`);
    d.layout = v.layout;
  }
  if (v.classes !== undefined) d.classes = v.classes.split(',');
  if (d.path && !d.classes?.length)
    throw new Error('--classes (comma separated, model order) is required with --model');
  d.layout ??= d.path ? 'yolov8' : undefined;
  if (v.size !== undefined) {
    const size = Number(v.size);
    if (!Number.isInteger(size) || size < 32)
      throw new Error(`--size must be an integer ≥ 32, got "${v.size}"`);
    d.inputSize = size;
  }
  if (v.threshold !== undefined) {
    const t = Number(v.threshold);
    if (!(t >= 0 && t <= 1)) throw new Error(`--threshold must be 0..1, got "${v.threshold}"`);
    d.scoreThreshold = t;
  }
  return d;
}

export const detectVerb: Verb = {
  name: 'detect',
  summary:
    'run the object detector (built-in NanoDet unless configured) on an image and print the boxes as JSON',
  usage:
    'detect IMAGE [--at SECONDS] [--builtin nanodet|centernet | --model F.onnx --layout yolov8|yolox --classes a,b,… --size 640] [--threshold 0.5] [--draw OUT.jpg]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...commonOptions,
        builtin: { type: 'string' },
        model: { type: 'string' },
        layout: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
        threshold: { type: 'string' },
        at: { type: 'string' },
        draw: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const image = positionals[0];
    if (!image || positionals.length > 1) throw new Error('give exactly one IMAGE file');
    if (!existsSync(image)) throw new Error(`image ${image} does not exist`);
    const at = values.at === undefined ? undefined : Number(values.at);
    if (at !== undefined && !(at >= 0)) throw new Error(`--at must be seconds ≥ 0, got "${values.at}"`);
    const { config } = configFrom(values);
    const models: ModelsConfig = {
      ...config.models,
      detector: detectorConfig(config.models.detector, values),
    };
    const runtime = new ModelRuntime(models, config.storage.dataDir);
    try {
      const img = await decodeImageFile(image, 30, at);
      const detector = await runtime.detector();
      if (!detector || !runtime.profile) throw new Error('no detector');
      const t0 = performance.now();
      const detections = await detector.detect(img);
      const ms = performance.now() - t0;
      if (values.draw) {
        const { personClasses } = runtime.profile;
        const boxes = detections.map((d) => ({
          box: d.box,
          color: personClasses.has(d.label) ? 'red' : '0xFFC000',
        }));
        writeFileSync(values.draw, await encodeJpeg(img, 3, boxes));
      }
      const head = {
        image,
        ...(at !== undefined ? { at } : {}),
        width: img.width,
        height: img.height,
        detector: runtime.profile.description,
        threshold: runtime.profile.scoreThreshold,
        ms: Math.round(ms * 10) / 10,
      };
      // One detection a line: a list of boxes stays readable in a terminal.
      const lines = detections.map((x) =>
        JSON.stringify({
          label: x.label,
          score: Math.round(x.score * 1e4) / 1e4,
          box: x.box.map((v) => Math.round(v * 10) / 10),
        }),
      );
      const body = JSON.stringify(head, null, 2).replace(/\n}$/, '');
      const list = lines.length ? `[\n    ${lines.join(',\n    ')}\n  ]` : '[]';
      process.stdout.write(`${body},\n  "detections": ${list}\n}\n`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
