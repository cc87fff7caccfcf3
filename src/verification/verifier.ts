import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Detector } from '../../models/detector-runner.js';
import { type DrawnBox, encodeJpeg } from '../../models/image.js';
import type { ModelsConfig } from '../config/sections/models.js';
import { eventKey } from '../core/events.js';
import { type Incident, OPEN_STATES } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Service } from '../service.js';
import { type SampledFrames, type SampleOptions, sampleCamera } from './camera-frames.js';
import { analyseCamera, type Best, type CameraAnalysis } from './frame-analysis.js';
import type { DetectorProfile } from './model-runtime.js';
import {
  frameUrl,
  type Verification,
  type VerificationStatus,
  type VerificationStore,
} from './verification-store.js';

export interface VerifierDeps {
  svc: Service;
  store: VerificationStore;
  /** The detector, opened on first need (undefined when disabled); rejects with why it cannot open. */
  detector: () => Promise<Detector | undefined>;
  profile: DetectorProfile | undefined;
  config: ModelsConfig;
  framesDir: string;
  /** Frames of a camera; the service samples recordings and live streams (tests may stand in). */
  sample?: (cameraId: string, opts: SampleOptions) => Promise<SampledFrames>;
}

/** Box colours on the saved best frame: people red, vehicles gold. */
const PERSON_COLOR = 'red';
const VEHICLE_COLOR = '0xFFC000';

/** Incidents the verifier looks at: alarms opened by an intrusion (most false alarms are these). */
export function shouldVerify(inc: Incident): boolean {
  return inc.kind === 'alarm' && inc.events[0]?.type === 'intrusion';
}

/**
 * Looks at the footage an intrusion points to: samples frames of the zone's cameras over the
 * verification window, runs motion on all of them and the object detector on up to
 * `maxFramesPerCamera` each (fewer when other alarms keep the inference pool busy: the pool's queue
 * is bounded and the analysis has a deadline, `analysisSeconds`), and records
 * `person_seen`, `vehicle_seen` (on vehicle cameras), `motion_only` or `unverified` with the best
 * frame, its boxes drawn. A person or vehicle goes to the event core as a `person`/`vehicle` event of
 * that camera, which confirms the alarm (sequential confirmation); nothing seen never closes it.
 */
export class Verifier {
  private readonly sample: NonNullable<VerifierDeps['sample']>;
  private readonly frames;
  private stopping = false;
  /** Ends every sampling in flight when the service stops (a dark camera would hold it ~25 s). */
  private readonly abort = new AbortController();

  constructor(private readonly deps: VerifierDeps) {
    this.sample = deps.sample ?? ((cam, opts) => sampleCamera(deps.svc, cam, opts));
    this.frames = deps.svc.metrics.counter(
      'sharpeyes_verification_frames_total',
      'Frames the detector looked at (analysed) or could not for a busy pool (shed)',
      ['outcome'],
    );
  }

  /** Verifications under way stop offering frames and conclude on what they have (service stop). */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
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
    if (!(await store.start(inc.id, new Date().toISOString()))) return undefined;
    const v = config.verification;
    const cameras = this.camerasOf(inc);
    // A 4:3 canvas holds 4:3 cameras whole and 16:9 ones with bars, both undistorted.
    const height = v.height ?? Math.round((v.width * 3) / 4 / 2) * 2;
    const sampled = await Promise.all(
      cameras.map((camera) =>
        this.sample(camera, {
          width: v.width,
          height,
          fps: v.fps,
          seconds: v.seconds,
          prerollSeconds: Math.min(svc.need('dir').camera(camera)?.preroll ?? 0, v.seconds * 2),
          at: new Date(inc.openedAt),
          signal: this.abort.signal,
        }),
      ),
    );
    // Opened only when there is something to look at: a camera-less alarm never loads a model.
    const deadline = Date.now() + v.analysisSeconds * 1000;
    const det = sampled.some((x) => x.frames.length > 0)
      ? await this.deps.detector().catch((err: unknown) => {
          svc.log.error({ err: errorMessage(err), incident: inc.id }, 'verification: detector unavailable');
          return { failed: errorMessage(err) } as const;
        })
      : undefined;
    const ready = det && !('failed' in det) ? det : undefined;
    const results = await Promise.all(
      cameras.map(async (camera, i) => {
        const a = await analyseCamera(camera, sampled[i]!, {
          config,
          detector: ready,
          profile: this.deps.profile,
          wanted: v.maxFramesPerCamera,
          deadline,
          stopping: () => this.stopping,
          vehicles: v.vehicleCameras.includes(camera),
        });
        if (det && 'failed' in det && a.summary.frames > 0) a.summary.error ??= `detector: ${det.failed}`;
        return a;
      }),
    );
    return this.conclude(inc, results);
  }

  private async conclude(inc: Incident, results: CameraAnalysis[]): Promise<Verification> {
    const { svc, store } = this.deps;
    const pick = (k: 'person' | 'vehicle' | 'motion' | 'fallback') =>
      results.reduce<Best | undefined>(
        (a, r) => (r[k] && (!a || r[k]!.score > a.score) ? r[k] : a),
        undefined,
      );
    const person = pick('person');
    const vehicle = pick('vehicle');
    const motion = pick('motion');
    const status: VerificationStatus = person
      ? 'person_seen'
      : vehicle
        ? 'vehicle_seen'
        : motion
          ? 'motion_only'
          : 'unverified';
    const best = person ?? vehicle ?? motion ?? pick('fallback');
    for (const r of results) {
      this.frames.inc({ outcome: 'analysed' }, r.summary.analysed ?? 0);
      this.frames.inc({ outcome: 'shed' }, r.summary.shed ?? 0);
    }
    let frameFile: string | null = null;
    if (best) {
      mkdirSync(this.deps.framesDir, { recursive: true });
      frameFile = join(this.deps.framesDir, `${inc.id.replace(/[^\w-]/g, '_')}.jpg`);
      writeFileSync(frameFile, await encodeJpeg(best.frame, 4, this.boxes(best)));
    }
    const seen = person ?? vehicle;
    const now = new Date().toISOString();
    await store.finish(
      inc.id,
      { status, score: seen?.score ?? motion?.score ?? 0, camera: best?.camera ?? null, frameFile },
      results.map((r) => r.summary),
      now,
    );
    if (seen) await this.confirm(inc, seen, person ? 'person' : 'vehicle', now);
    const result = (await store.get(inc.id))!;
    const updated = await svc.need('store').incidents.get(inc.id);
    if (updated) {
      const withVerification: Incident = { ...updated, verification: result } as Incident;
      svc.bus.emit('incident:update', withVerification, { kind: 'annotation', what: 'verification' });
    }
    svc.log.info(
      { incident: inc.id, status, score: result.score, camera: best?.camera },
      'verification: done',
    );
    return result;
  }

  /** Person boxes in red, vehicle boxes in gold, as the operator sees them on the best frame. */
  private boxes(best: Best): DrawnBox[] {
    const p = this.deps.profile;
    if (!p) return [];
    return best.detections.flatMap((d) =>
      p.personClasses.has(d.label)
        ? [{ box: d.box, color: PERSON_COLOR }]
        : p.vehicleClasses.has(d.label)
          ? [{ box: d.box, color: VEHICLE_COLOR }]
          : [],
    );
  }

  /**
   * A person (vehicle) seen is an event of that camera: through the core it is stored, joins the
   * incident and confirms it by the sequential-confirmation rule (camera linked to the alarmed zone).
   * The core's rule knows `person` and `motion`, not yet `vehicle`: a vehicle on a vehicle camera
   * raises and confirms the incident here, as verification did before.
   */
  private async confirm(inc: Incident, seen: Best, type: 'person' | 'vehicle', at: string): Promise<void> {
    const { svc } = this.deps;
    const site = svc.need('dir').camera(seen.camera)?.site ?? inc.site;
    const classes = type === 'person' ? this.deps.profile?.personClasses : this.deps.profile?.vehicleClasses;
    try {
      await svc.need('core').ingest({
        key: eventKey('model', seen.camera, `verify-${inc.id}-${type}`),
        source: 'model',
        device: seen.camera,
        site,
        type,
        ts: at,
        receivedAt: at,
        detail: {
          incident: inc.id,
          score: Math.round(seen.score * 1e4) / 1e4,
          frame: frameUrl(inc.id),
          boxes: seen.detections
            .filter((d) => classes?.has(d.label))
            .map((d) => ({
              label: d.label,
              score: Math.round(d.score * 1e4) / 1e4,
              box: d.box.map(Math.round),
            })),
        },
      });
    } catch (err) {
      // The verdict is stored either way; the alarm stays as it was (unconfirmed, still open).
      svc.log.error({ err: errorMessage(err), incident: inc.id }, 'verification: event not stored');
      return;
    }
    if (type === 'vehicle') {
      const incidents = svc.need('store').incidents;
      const cur = await incidents.get(inc.id);
      if (cur && OPEN_STATES.includes(cur.state) && (cur.priority !== 1 || !cur.confirmed))
        await incidents.setPriority(inc.id, 1, true, at);
    }
  }
}
