import { decodeImageFile } from '../../models/image.js';
import { normalizePlate, type PlateReader } from '../../models/plate-reader.js';
import type { ModelsConfig } from '../config/sections/models.js';
import { eventKey, type NormalizedEvent } from '../core/events.js';
import { errorMessage } from '../errors.js';
import type { Service } from '../service.js';
import { cameraUrl } from './camera-frames.js';

/** A plate read at a checkpoint, after storage. */
export interface PlateSighting {
  camera: string;
  plate: string;
  confidence: number;
  event: string;
  watchlist: boolean;
  incident?: string;
}

const SAME_PLATE_MS = 60_000;

/**
 * Reads number plates at checkpoint cameras: a snapshot of the main stream every interval, PaddleOCR
 * on it, and each new plate stored as a `plate` event (`detail: {text, confidence}`). A plate on the
 * watchlist raises an incident at the camera's site.
 */
export class PlateMaintainer {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, { plate: string; at: number }>();
  private readonly watch: Map<string, string | undefined>;
  private stopped = false;

  constructor(
    private readonly svc: Service,
    private readonly reader: PlateReader,
    private readonly config: ModelsConfig['plates'],
  ) {
    this.watch = new Map(config.watchlist.map((w) => [normalizePlate(w.plate), w.note]));
  }

  start(): void {
    for (const camera of this.config.cameras) this.schedule(camera, 0);
  }

  private schedule(camera: string, ms: number): void {
    if (this.stopped) return;
    this.timers.set(
      camera,
      setTimeout(() => {
        void this.readCamera(camera)
          .catch((err: unknown) =>
            // A camera that is offline is supervised elsewhere (video_loss); here it only skips a read.
            this.svc.log.debug({ camera, err: errorMessage(err) }, 'plates: snapshot not read'),
          )
          .finally(() => this.schedule(camera, this.config.intervalSeconds * 1000));
      }, ms),
    );
  }

  /** Snapshots a camera and records the plate it shows, if any. */
  async readCamera(camera: string): Promise<PlateSighting | undefined> {
    const url = await cameraUrl(this.svc, camera, 'main');
    if (!url) return undefined;
    const img = await decodeImageFile(url);
    const read = await this.reader.read(img);
    if (!read.plate || read.confidence < this.config.minConfidence) return undefined;
    return this.record(camera, read.plate, read.confidence);
  }

  /** Stores a plate event (once per plate per camera a minute) and raises a watchlist incident. */
  async record(
    camera: string,
    plate: string,
    confidence: number,
    at = new Date(),
  ): Promise<PlateSighting | undefined> {
    const prev = this.last.get(camera);
    if (prev && prev.plate === plate && at.getTime() - prev.at < SAME_PLATE_MS) return undefined;
    this.last.set(camera, { plate, at: at.getTime() });
    const site = this.svc.need('dir').camera(camera)?.site;
    if (!site) return undefined;
    // Issue 19: a plate notice watches its plate for its validity (src/notices/notice-watchlist.ts).
    const noticed = this.svc.parts.get('notices.watchlist') as
      | { match(p: string): { note: string; notice: string } | undefined }
      | undefined;
    const byNotice = noticed?.match(plate);
    const watchlist = this.watch.has(plate) || byNotice !== undefined;
    const ts = at.toISOString();
    const event: NormalizedEvent = {
      key: eventKey('model', camera, `plate-${at.getTime()}-${plate}`),
      source: 'model',
      device: camera,
      site,
      type: 'plate',
      ts,
      receivedAt: ts,
      detail: {
        text: plate,
        confidence: Math.round(confidence * 1e4) / 1e4,
        ...(watchlist
          ? {
              watchlist: true,
              note: this.watch.get(plate) ?? byNotice?.note ?? null,
              ...(byNotice ? { notice: byNotice.notice } : {}),
            }
          : {}),
      },
    };
    // A watchlist hit opens or joins its incident through the core's rules (`plate-watchlist`), in the
    // same transaction as the event, like every other decision.
    const outcome = await this.svc.need('core').ingest(event);
    const sighting: PlateSighting = { camera, plate, confidence, event: event.key, watchlist };
    if (outcome.incident) sighting.incident = outcome.incident;
    if (watchlist) this.svc.log.warn({ incident: outcome.incident, camera, plate }, 'plates: watchlist hit');
    return sighting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
