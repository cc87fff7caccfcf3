import { OnvifCamera } from '../../drivers/onvif/onvif-camera.js';
import type { DriverCameraEvent } from '../../drivers/onvif/onvif-events.js';
import type { PullPointMaintainer } from '../../drivers/onvif/onvif-pullpoint-maintainer.js';
import { fetchSnapshot } from '../../drivers/onvif/onvif-snapshot.js';
import { grabJpeg } from '../../drivers/rtsp/rtsp-frame-reader.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import { errorMessage, SharpeyesError } from '../errors.js';
import type { Logger } from '../log.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, seldom } from './backoff.js';
import type { CameraHealthMaintainer, HealthState } from './camera-health-maintainer.js';

export type StreamName = 'main' | 'sub';

/** What the console and other modules see of a camera: no URLs (they hold credentials). */
export interface CameraStatus {
  id: string;
  name: string;
  site: string;
  kind: 'onvif' | 'rtsp';
  online: boolean;
  state: HealthState;
  lastFrameAt: string | null;
  lostSince: string | null;
  reconnects: number;
  ptz: boolean;
  events: boolean;
  onvif?: { state: 'connecting' | 'ready' | 'error'; error?: string; manufacturer?: string; model?: string };
  streams: Partial<Record<StreamName, { width?: number; height?: number; encoding?: string }>>;
}

interface Entry {
  cfg: CameraConfig;
  onvif?: OnvifCamera;
  onvifState: 'connecting' | 'ready' | 'error';
  onvifError?: string;
  ready?: Promise<void>;
  events?: PullPointMaintainer;
  health?: CameraHealthMaintainer;
  retry?: NodeJS.Timeout;
}

export interface CameraRegistryDeps {
  cameras: CameraConfig[];
  log: Logger;
  /** A camera's ONVIF event (the module maps it to a NormalizedEvent). */
  onEvent(camera: CameraConfig, ev: DriverCameraEvent): void;
  backoff?: BackoffPolicy;
  /** How long `streamUrl` waits for an ONVIF camera still connecting. */
  waitMs?: number;
}

/**
 * The cameras of the config with their drivers: ONVIF cameras are connected (and re-connected with
 * backoff) in the background, RTSP-only cameras are used by URL. Published as `svc.parts 'cameras'`.
 */
export class CameraRegistry {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly deps: CameraRegistryDeps) {
    for (const cfg of deps.cameras) {
      const e: Entry = { cfg, onvifState: 'connecting' };
      if (cfg.onvif) {
        e.onvif = new OnvifCamera({
          url: cfg.onvif.url,
          username: cfg.onvif.username,
          password: cfg.onvif.password,
        });
      }
      this.entries.set(cfg.id, e);
    }
  }

  start(): void {
    for (const e of this.entries.values()) {
      if (!e.onvif) continue;
      let done: () => void = () => {};
      e.ready = new Promise<void>((resolve) => {
        done = resolve;
      });
      void this.connectOnvif(e, 1, done);
    }
  }

  private async connectOnvif(e: Entry, attempt: number, done: () => void): Promise<void> {
    if (this.stopped || !e.onvif) return;
    const log = this.deps.log;
    try {
      const st = await e.onvif.connect();
      // Stopped while connecting: starting a subscription now would outlive the service.
      if (this.stopped) return;
      e.onvifState = 'ready';
      delete e.onvifError;
      log.info(
        {
          camera: e.cfg.id,
          model: st.info.model,
          main: st.main.token,
          sub: st.sub.token,
          ptz: e.onvif.hasPtz,
        },
        'cameras: ONVIF camera connected',
      );
      e.events = e.onvif.events({
        onEvent: (ev) => this.deps.onEvent(e.cfg, ev),
        onError: (err, n) => {
          if (seldom(n))
            log.warn(
              { camera: e.cfg.id, err: errorMessage(err), attempt: n },
              'cameras: event subscription failed',
            );
        },
        retryDelayMs: (n) => backoffDelay(n, this.deps.backoff ?? DEFAULT_BACKOFF),
      });
      done();
    } catch (err) {
      e.onvifState = 'error';
      e.onvifError = errorMessage(err);
      const delay = backoffDelay(attempt, this.deps.backoff ?? DEFAULT_BACKOFF);
      if (seldom(attempt))
        log.warn(
          { camera: e.cfg.id, err: e.onvifError, attempt, retryMs: delay },
          'cameras: ONVIF connect failed',
        );
      if (this.stopped) return;
      e.retry = setTimeout(() => void this.connectOnvif(e, attempt + 1, done), delay);
      e.retry.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const waits: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      clearTimeout(e.retry);
      e.health?.stop();
      if (e.events) waits.push(e.events.stop());
    }
    await Promise.all(waits);
  }

  setHealth(id: string, health: CameraHealthMaintainer): void {
    const e = this.entries.get(id);
    if (e) e.health = health;
  }

  healthOf(id: string): CameraHealthMaintainer | undefined {
    return this.entries.get(id)?.health;
  }

  /** For `GET /api/health`. */
  health(): Record<string, unknown> {
    const all = this.list();
    return { cameras: all.length, up: all.filter((c) => c.online).length };
  }

  config(id: string): CameraConfig | undefined {
    return this.entries.get(id)?.cfg;
  }

  list(): CameraStatus[] {
    return [...this.entries.values()].map((e) => this.statusOf(e));
  }

  get(id: string): CameraStatus | undefined {
    const e = this.entries.get(id);
    return e ? this.statusOf(e) : undefined;
  }

  private statusOf(e: Entry): CameraStatus {
    const h = e.health?.status();
    const st = e.onvif?.state;
    const streams: CameraStatus['streams'] = {};
    for (const which of ['main', 'sub'] as const) {
      const p = st?.[which];
      if (p)
        streams[which] = {
          ...(p.width !== undefined ? { width: p.width } : {}),
          ...(p.height !== undefined ? { height: p.height } : {}),
          ...(p.encoding !== undefined ? { encoding: p.encoding } : {}),
        };
    }
    return {
      id: e.cfg.id,
      name: e.cfg.name ?? e.cfg.id,
      site: e.cfg.site,
      kind: e.onvif ? 'onvif' : 'rtsp',
      online: h?.state === 'up',
      state: h?.state ?? 'connecting',
      lastFrameAt: h?.lastFrameAt ?? null,
      lostSince: h?.lostSince ?? null,
      reconnects: h?.reconnects ?? 0,
      ptz: e.onvif?.hasPtz ?? false,
      events: e.events !== undefined,
      ...(e.onvif
        ? {
            onvif: {
              state: e.onvifState,
              ...(e.onvifError ? { error: e.onvifError } : {}),
              ...(st ? { manufacturer: st.info.manufacturer, model: st.info.model } : {}),
            },
          }
        : {}),
      streams,
    };
  }

  /** Full RTSP URL, credentials included: never log it unredacted. */
  async streamUrl(id: string, stream: StreamName): Promise<string | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.cfg.rtsp) return e.cfg.rtsp;
    if (!e.onvif) return undefined;
    if (e.onvifState !== 'ready' && e.ready) {
      const wait = this.deps.waitMs ?? 5000;
      await Promise.race([e.ready, new Promise((r) => setTimeout(r, wait).unref())]);
    }
    return e.onvifState === 'ready' ? e.onvif.streamUri(stream) : undefined;
  }

  async gotoPreset(id: string, preset: number | string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) throw new SharpeyesError('cameras', `no camera ${id}`, { camera: id });
    if (!e.onvif || e.onvifState !== 'ready' || !e.onvif.hasPtz) {
      throw new SharpeyesError('cameras', `camera ${id} has no PTZ available`, {
        camera: id,
        code: 'no_ptz',
      });
    }
    await e.onvif.gotoPreset(preset);
  }

  /** A JPEG now: the ONVIF snapshot URI when the camera has one, else one frame from the sub stream. */
  async snapshot(id: string): Promise<Buffer> {
    const e = this.entries.get(id);
    if (!e) throw new SharpeyesError('cameras', `no camera ${id}`, { camera: id });
    const uri = e.onvif?.snapshotUri;
    if (uri) {
      try {
        // Issue 15: the camera's credentials go only to its own host, whatever host the reply names.
        return await fetchSnapshot(uri, e.onvif?.credentials, { ownHost: e.onvif!.host });
      } catch (err) {
        // Tolerated: some cameras advertise a snapshot URI that answers 404/500; the stream still works.
        this.deps.log.warn(
          { camera: id, err: errorMessage(err) },
          'cameras: snapshot URI failed, grabbing a frame',
        );
      }
    }
    const url = (await this.streamUrl(id, 'sub')) ?? (await this.streamUrl(id, 'main'));
    if (!url) throw new SharpeyesError('cameras', `camera ${id} has no stream to take a snapshot from`);
    return grabJpeg(url);
  }
}
