import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector, NamedDetection } from '../../models/detector-runner.js';
import { encodeJpeg, type RgbImage, resizeRgb } from '../../models/image.js';
import { MotionDetector, rgbToGray } from '../../models/motion-detector.js';
import type { ModelsConfig } from '../config/sections/models.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Service } from '../service.js';
import { type SampledFrames, type SampleOptions, sampleCamera } from './camera-frames.js';
import type {
  CameraVerdict,
  Verification,
  VerificationStatus,
  VerificationStore,
} from './verification-store.js';

export interface VerifierDeps {
  svc: Service;
  store: VerificationStore;
  detector: Detector | undefined;
  config: ModelsConfig;
  framesDir: string;
  /** Frames of a camera; the service samples recordings and live streams (tests may stand in). */
  sample?: (cameraId: string, opts: SampleOptions) => Promise<SampledFrames>;
}

interface Best {
  frame: RgbImage;
  score: number;
  camera: string;
  detections: NamedDetection[];
}

/** Incidents the verifier looks at: alarms opened by an intrusion (most false alarms are these). */
export function shouldVerify(inc: Incident): boolean {
  return inc.kind === 'alarm' && inc.events[0]?.type === 'intrusion';
}

/**
 * Looks at the footage an intrusion points to: samples frames of the zone's cameras, runs motion and,
 * when configured, the detector, and records `person_seen`, `motion_only` or `unverified` with the
 * best frame. A person raises the incident to P1 and confirms it; nothing seen never closes it.
 */
export class Verifier {
  private readonly sample: NonNullable<VerifierDeps['sample']>;

  constructor(private readonly deps: VerifierDeps) {
    this.sample = deps.sample ?? ((cam, opts) => sampleCamera(deps.svc, cam, opts));
  }

  /** Cameras linked to the zone of the incident's first event (the site's cameras when none are). */
  camerasOf(inc: Incident): string[] {
    const first = inc.events[0];
    const dir = this.deps.svc.need('dir');
    const cams = first ? dir.camerasForZone(first.device, first.zone) : dir.camerasOfSite(inc.site);
    return cams.map((c) => c.id).slice(0, this.deps.config.verification.maxCameras);
  }

  async verify(inc: Incident): Promise<Verification | undefined> {
    const { svc, store, config } = this.deps;
    const at = new Date(inc.openedAt);
    if (!store.start(inc.id, new Date().toISOString())) return undefined;
    const v = config.verification;
    const height = Math.round((v.width * 9) / 16 / 2) * 2;
    const verdicts: CameraVerdict[] = [];
    let person: Best | undefined;
    let motion: Best | undefined;
    let fallback: Best | undefined;
    // Cameras are sampled together: the live window is the same wall-clock time for all of them.
    const results = await Promise.all(
      this.camerasOf(inc).map(async (camera) => {
        const preroll = svc.need('dir').camera(camera)?.preroll ?? 0;
        const sampled = await this.sample(camera, {
          width: v.width,
          height,
          fps: v.fps,
          seconds: v.seconds,
          prerollSeconds: Math.min(preroll, v.seconds * 2),
          at,
        });
        return this.analyse(camera, sampled);
      }),
    );
    for (const verdict of results) {
      verdicts.push(verdict.summary);
      if (verdict.person && (!person || verdict.person.score > person.score)) person = verdict.person;
      if (verdict.motion && (!motion || verdict.motion.score > motion.score)) motion = verdict.motion;
      fallback ??= verdict.fallback;
    }
    const status: VerificationStatus = person ? 'person_seen' : motion ? 'motion_only' : 'unverified';
    const best = person ?? motion ?? fallback;
    let frameFile: string | null = null;
    if (best) {
      mkdirSync(this.deps.framesDir, { recursive: true });
      frameFile = join(this.deps.framesDir, `${inc.id.replace(/[^\w-]/g, '_')}.jpg`);
      writeFileSync(frameFile, await encodeJpeg(best.frame));
    }
    const score = person?.score ?? motion?.score ?? 0;
    const now = new Date().toISOString();
    store.finish(inc.id, { status, score, camera: best?.camera ?? null, frameFile }, verdicts, now);
    const incidents = svc.need('store').incidents;
    if (person) {
      const cur = await incidents.get(inc.id);
      if (cur && (cur.priority !== 1 || !cur.confirmed)) await incidents.setPriority(inc.id, 1, true, now);
    }
    const result = store.get(inc.id)!;
    const updated = await incidents.get(inc.id);
    if (updated) {
      const withVerification: Incident = { ...updated, verification: result } as Incident;
      svc.bus.emit('incident:update', withVerification, { kind: 'annotation', what: 'verification' });
    }
    svc.log.info({ incident: inc.id, status, score, camera: best?.camera }, 'verification: done');
    return result;
  }

  private async analyse(
    camera: string,
    sampled: SampledFrames,
  ): Promise<{ summary: CameraVerdict; person?: Best; motion?: Best; fallback?: Best }> {
    const { config, detector } = this.deps;
    const frames = sampled.frames;
    const summary: CameraVerdict = {
      camera,
      frames: frames.length,
      source: sampled.source,
      motion: 0,
      person: 0,
      detections: [],
      ...(sampled.error ? { error: sampled.error } : {}),
    };
    const mid = frames[Math.floor(frames.length / 2)];
    const out: { summary: CameraVerdict; person?: Best; motion?: Best; fallback?: Best } = { summary };
    if (mid) out.fallback = { frame: mid, score: 0, camera, detections: [] };
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
      if (r.motion && r.score > summary.motion) {
        summary.motion = r.score;
        out.motion = { frame: f, score: r.score, camera, detections: [] };
      }
    }
    const det = config.detector;
    if (detector && det) {
      const persons = new Set(det.personClasses);
      try {
        const results = await Promise.all(frames.map((f) => detector.detect(f)));
        results.forEach((dets, i) => {
          const p = Math.max(0, ...dets.filter((d) => persons.has(d.label)).map((d) => d.score));
          if (p > summary.person) {
            summary.person = p;
            out.person = { frame: frames[i]!, score: p, camera, detections: dets };
            summary.detections = dets.map((d) => ({ label: d.label, score: d.score, box: d.box }));
          }
        });
      } catch (err) {
        summary.error = `detector: ${errorMessage(err)}`;
      }
    }
    return out;
  }
}
