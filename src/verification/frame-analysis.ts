import type { Detector, NamedDetection } from '../../models/detector-runner.js';
import { type RgbImage, resizeRgb } from '../../models/image.js';
import { MotionDetector, rgbToGray } from '../../models/motion-detector.js';
import type { ModelsConfig } from '../config/sections/models.js';
import { errorMessage } from '../errors.js';
import type { SampledFrames } from './camera-frames.js';
import type { DetectorProfile } from './model-runtime.js';
import type { CameraVerdict } from './verification-store.js';

/** The best frame of one kind a camera gave, with what was found on it. */
export interface Best {
  frame: RgbImage;
  score: number;
  camera: string;
  detections: NamedDetection[];
}

export interface CameraAnalysis {
  summary: CameraVerdict;
  person?: Best;
  vehicle?: Best;
  motion?: Best;
  fallback?: Best;
}

/** A person this sure needs no more frames: the rest of the camera's budget is left to other alarms. */
const CONFIDENT = 0.7;
/** After the pool refused a frame (queue full), wait this long before offering the next one. */
const BUSY_PAUSE_MS = 100;

/**
 * `count` frame indices spread evenly over `total` frames (the middle of each slice), in coarse-to-fine
 * order (the middle first, then the quarters, …), so a camera cut short by a busy pool or a deadline
 * has still looked across the whole window: the recorded preroll and the live seconds.
 */
export function spreadIndices(total: number, count: number): number[] {
  const n = Math.max(0, Math.min(total, count));
  const even = Array.from({ length: n }, (_, k) => Math.min(total - 1, Math.floor(((k + 0.5) * total) / n)));
  const order: number[] = [];
  const seen = new Set<number>();
  for (let step = n; step >= 1; step = Math.floor(step / 2)) {
    for (let k = Math.floor(step / 2); k < n; k += step) {
      if (seen.has(k)) continue;
      seen.add(k);
      order.push(even[k]!);
    }
    if (step === 1) break;
  }
  return order;
}

function motionOf(camera: string, frames: RgbImage[], config: ModelsConfig, out: CameraAnalysis): void {
  const cam = config.motion.cameras[camera];
  const m = new MotionDetector({
    width: config.motion.width,
    height: config.motion.height,
    sensitivity: cam?.sensitivity ?? 50,
    mask: cam?.mask ?? [],
    minFrames: 1,
  });
  for (const f of frames) {
    const r = m.push(rgbToGray(resizeRgb(f, config.motion.width, config.motion.height).data));
    if (r.motion && r.score > out.summary.motion) {
      out.summary.motion = r.score;
      out.motion = { frame: f, score: r.score, camera, detections: [] };
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What one camera's frames show: motion on every frame (cheap), the detector on up to `wanted` frames
 * in coarse-to-fine order, one at a time, so concurrent alarms share the inference pool's queue frame
 * by frame. A frame the pool refuses (queue full) is offered again shortly; frames the deadline cuts
 * off are counted as shed. Under a burst each camera is judged on fewer frames, never on none because
 * another camera came first, and every verification ends by its deadline.
 */
export async function analyseCamera(
  camera: string,
  sampled: SampledFrames,
  opts: {
    config: ModelsConfig;
    detector: Detector | undefined;
    profile: DetectorProfile | undefined;
    /** Frames the detector should look at on an idle pool. */
    wanted: number;
    /** Epoch ms after which no more frames are offered. */
    deadline: number;
    /** True once the service is stopping: the camera is judged on what it has. */
    stopping?: () => boolean;
    vehicles: boolean;
  },
): Promise<CameraAnalysis> {
  const frames = sampled.frames;
  const summary: CameraVerdict = {
    camera,
    frames: frames.length,
    analysed: 0,
    shed: 0,
    source: sampled.source,
    motion: 0,
    person: 0,
    detections: [],
    ...(sampled.error ? { error: sampled.error } : {}),
  };
  const out: CameraAnalysis = { summary };
  const mid = frames[Math.floor(frames.length / 2)];
  if (mid) out.fallback = { frame: mid, score: 0, camera, detections: [] };
  motionOf(camera, frames, opts.config, out);
  const { detector, profile } = opts;
  if (!detector || !profile) return out;
  const picked = spreadIndices(frames.length, opts.wanted);
  let shed = 0;
  for (let k = 0; k < picked.length; ) {
    if (Date.now() > opts.deadline || opts.stopping?.()) {
      shed += picked.length - k;
      break;
    }
    const frame = frames[picked[k]!]!;
    let found: NamedDetection[];
    try {
      found = await detector.detect(frame);
    } catch (err) {
      if ((err as { data?: { code?: string } }).data?.code !== 'queue_full') {
        summary.error = `detector: ${errorMessage(err)}`;
        break;
      }
      // Other alarms fill the queue: offer the same frame again shortly, until the deadline.
      await sleep(BUSY_PAUSE_MS);
      continue;
    }
    k++;
    summary.analysed!++;
    const best = (set: ReadonlySet<string>) =>
      Math.max(0, ...found.filter((d) => set.has(d.label)).map((d) => d.score));
    // What the operator reads under the frame: people and vehicles, not the kite or the sports ball.
    const list = () =>
      found
        .filter((d) => profile.personClasses.has(d.label) || profile.vehicleClasses.has(d.label))
        .map((d) => ({ label: d.label, score: d.score, box: d.box }));
    const p = best(profile.personClasses);
    if (p > summary.person) {
      summary.person = p;
      out.person = { frame, score: p, camera, detections: found };
      summary.detections = list();
    }
    const v = opts.vehicles ? best(profile.vehicleClasses) : 0;
    if (v > (out.vehicle?.score ?? 0)) {
      out.vehicle = { frame, score: v, camera, detections: found };
      if (!out.person) summary.detections = list();
    }
    if (p >= CONFIDENT) break;
  }
  summary.shed = shed;
  return out;
}
