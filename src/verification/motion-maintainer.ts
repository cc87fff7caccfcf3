import { MotionDetector } from '../../models/motion-detector.js';
import { FrameReader } from '../../models/motion-frames.js';
import type { ModelsConfig } from '../config/sections/models.js';
import { eventKey } from '../core/events.js';
import { errorMessage } from '../errors.js';
import { redactUrl } from '../log.js';
import type { Service } from '../service.js';
import { cameraUrl } from './camera-frames.js';
import { hubFrames, streamsHub } from './hub-frames.js';

const RETRY_MS = 5_000;

/**
 * Watches each configured camera for motion: one ffmpeg per camera decodes its sub stream to grey
 * 160×90 frames at 2–5 fps, fed from the streams hub's fragments when the hub runs (one camera
 * connection for everyone) or from the camera's RTSP URL otherwise. Motion becomes a `motion` event
 * (source `model`) through the event core, at most once per cooldown per camera.
 */
export class MotionMaintainer {
  private readonly stops = new Map<string, () => Promise<void>>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly lastEvent = new Map<string, number>();
  private stopped = false;
  private readonly emitted;

  constructor(
    private readonly svc: Service,
    private readonly config: ModelsConfig['motion'],
  ) {
    this.emitted = svc.metrics.counter('sharpeyes_motion_events_total', 'Motion events emitted', ['camera']);
  }

  start(): void {
    for (const camera of Object.keys(this.config.cameras)) void this.watch(camera);
  }

  private async watch(camera: string): Promise<void> {
    if (this.stopped) return;
    const cam = this.config.cameras[camera]!;
    const detector = new MotionDetector({
      width: this.config.width,
      height: this.config.height,
      sensitivity: cam.sensitivity,
      mask: cam.mask,
      minFrames: cam.minFrames,
    });
    const onEnd = (reason: string) => {
      this.stops.delete(camera);
      if (this.stopped) return;
      this.svc.log.warn({ camera, reason: redactUrl(reason) }, 'motion: decoder ended; retrying');
      this.retries.set(
        camera,
        setTimeout(() => void this.watch(camera), RETRY_MS),
      );
    };
    const base = {
      width: this.config.width,
      height: this.config.height,
      fps: this.config.fps,
      pixelFormat: 'gray' as const,
      onFrame: (frame: Uint8Array) => {
        const r = detector.push(frame);
        if (r.motion) void this.emit(camera, r.score, r.region);
      },
      onEnd,
    };
    const hub = streamsHub(this.svc);
    if (hub) {
      // The hub reconnects the camera itself and re-inits the decoder; nothing to retry here.
      const frames = hubFrames(hub, camera, 'sub', 'motion', { ...base, onEnd: () => undefined });
      this.stops.set(camera, () => frames.stop());
      return;
    }
    const url = await cameraUrl(this.svc, camera, 'sub');
    if (!url) {
      this.svc.log.warn({ camera }, 'motion: camera has no stream URL; not watched');
      return;
    }
    if (this.stopped) return;
    const reader = new FrameReader({ ...base, url });
    this.stops.set(camera, () => reader.stop());
  }

  private async emit(camera: string, score: number, region: unknown): Promise<void> {
    const now = Date.now();
    if (now - (this.lastEvent.get(camera) ?? 0) < this.config.cooldownSeconds * 1000) return;
    this.lastEvent.set(camera, now);
    const site = this.svc.need('dir').camera(camera)?.site;
    if (!site) return;
    const ts = new Date(now).toISOString();
    this.emitted.inc({ camera });
    try {
      await this.svc.need('core').ingest({
        key: eventKey('model', camera, `motion-${now}`),
        source: 'model',
        device: camera,
        site,
        type: 'motion',
        ts,
        receivedAt: ts,
        detail: { score: Math.round(score * 1e4) / 1e4, region },
      });
    } catch (err) {
      this.svc.log.error({ err: errorMessage(err), camera }, 'motion: event not stored');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries.values()) clearTimeout(t);
    await Promise.all([...this.stops.values()].map((s) => s()));
    this.stops.clear();
  }
}
