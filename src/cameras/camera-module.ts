import { startFrameReader } from '../../drivers/rtsp/rtsp-frame-reader.js';
import type { UpstreamHub } from '../../streams/upstream-hub.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import type { NormalizedEvent } from '../core/events.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Module, Service } from '../service.js';
import type { BackoffPolicy } from './backoff.js';
import { fromOnvif, fromWatchdog } from './camera-events.js';
import { CameraHealthMaintainer, type OpenFrameSource } from './camera-health-maintainer.js';
import { CameraRegistry } from './camera-registry.js';
import { cameraRoutes } from './camera-routes.js';

export interface CameraModuleOptions {
  /** Reconnect policy of readers and ONVIF connects (tests shorten it). */
  backoff?: BackoffPolicy;
  /** Watch frames through the stream hub when it exists (default true). */
  useHub?: boolean;
}

/**
 * Cameras: the registry (`svc.parts 'cameras'`), ONVIF events into the core, a health watchdog per
 * camera (video_loss / video_restore for its site), alarm PTZ, and the camera REST API.
 */
export function cameraModule(opts: CameraModuleOptions = {}): Module {
  let registry: CameraRegistry | undefined;
  let offIncident: (() => void) | undefined;
  let startTimer: NodeJS.Timeout | undefined;
  return {
    name: 'cameras',
    async start(svc: Service) {
      const { config, log, metrics, bus } = svc;
      const core = svc.need('core');
      const dir = svc.need('dir');
      const audit = svc.need('audit');
      const up = metrics.gauge('sharpeyes_camera_up', 'Camera delivers frames (1) or not (0)', ['camera']);
      const reconnects = metrics.counter('sharpeyes_camera_reconnects_total', 'Camera stream reconnects', [
        'camera',
      ]);
      const losses = metrics.counter('sharpeyes_camera_video_loss_total', 'Video losses detected', [
        'camera',
      ]);
      const events = metrics.counter('sharpeyes_camera_events_total', 'Camera events ingested', [
        'camera',
        'type',
      ]);

      const ingest = (ev: NormalizedEvent) => {
        events.inc({ camera: ev.device, type: ev.type });
        core
          .ingest(ev)
          .catch((err: unknown) =>
            log.error({ err: errorMessage(err), camera: ev.device, type: ev.type }, 'cameras: ingest failed'),
          );
      };
      const reg = new CameraRegistry({
        cameras: config.cameras,
        log,
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
        onEvent: (cam, ev) => {
          const n = fromOnvif(cam, ev, new Date());
          if (n) ingest(n);
        },
      });
      registry = reg;

      const openFrames =
        (cam: CameraConfig): OpenFrameSource =>
        (h) => {
          const hub =
            opts.useHub === false ? undefined : (svc.parts.get('streams') as UpstreamHub | undefined);
          if (hub) {
            const unsubscribe = hub.subscribe(
              cam.id,
              'main',
              { onInit: () => {}, onFragment: () => h.onData(), onEnd: (reason) => h.onEnd(reason) },
              'camera-health',
            );
            return { stop: unsubscribe };
          }
          let stopped = false;
          let reader: { stop(): void } | undefined;
          reg
            .streamUrl(cam.id, 'sub')
            .then((url) => {
              if (stopped) return;
              if (!url) return h.onEnd('no stream URL (camera not connected)');
              reader = startFrameReader(url, { onData: () => h.onData(), onEnd: (r) => h.onEnd(r) });
            })
            .catch((err: unknown) => h.onEnd(errorMessage(err)));
          return {
            stop: () => {
              stopped = true;
              reader?.stop();
            },
          };
        };

      for (const cam of config.cameras) {
        up.set({ camera: cam.id }, 0);
        const health = new CameraHealthMaintainer({
          lossSeconds: cam.videoLossSeconds,
          open: openFrames(cam),
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
          onState: (s) => up.set({ camera: cam.id }, s === 'up' ? 1 : 0),
          onReconnect: ({ attempt, delayMs, reason }) => {
            reconnects.inc({ camera: cam.id });
            log.debug({ camera: cam.id, attempt, delayMs, reason }, 'cameras: stream reconnect');
          },
          onLoss: ({ seconds, reason }) => {
            losses.inc({ camera: cam.id });
            log.warn({ camera: cam.id, seconds, reason }, 'cameras: video loss');
            ingest(fromWatchdog(cam, 'video_loss', new Date(), { seconds, ...(reason ? { reason } : {}) }));
          },
          onRestore: ({ downSeconds }) => {
            log.info({ camera: cam.id, downSeconds }, 'cameras: video restored');
            ingest(fromWatchdog(cam, 'video_restore', new Date(), { downSeconds }));
          },
        });
        reg.setHealth(cam.id, health);
      }

      // Alarm PTZ: a zone that names a preset turns its cameras there when its alarm opens an incident.
      offIncident = bus.on('incident:new', (inc: Incident) => {
        for (const ev of inc.events) {
          const zone = ev.zone !== undefined ? dir.panel(ev.device)?.zones[ev.zone] : undefined;
          if (zone?.preset === undefined) continue;
          for (const camId of zone.cameras) {
            audit.append({
              actor: 'system',
              action: 'camera.ptz',
              target: `camera:${camId}`,
              detail: { command: 'goto_preset', preset: zone.preset, incident: inc.id, reason: 'alarm' },
            });
            reg
              .gotoPreset(camId, zone.preset)
              .catch((err: unknown) =>
                log.warn(
                  { camera: camId, incident: inc.id, err: errorMessage(err) },
                  'cameras: alarm PTZ failed',
                ),
              );
          }
        }
      });

      svc.parts.set('cameras', reg);
      svc.need('app').use(cameraRoutes(svc, reg));
      reg.start();
      // Watchdogs start once the module table has run, so the stream hub (a later module) is there.
      startTimer = setTimeout(() => {
        for (const cam of config.cameras) reg.healthOf(cam.id)?.start();
      }, 0);
      log.info({ cameras: config.cameras.length }, 'cameras: registry started');
    },
    async stop() {
      clearTimeout(startTimer);
      offIncident?.();
      await registry?.stop();
    },
  };
}
