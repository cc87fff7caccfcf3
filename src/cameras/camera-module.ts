import { startFrameReader } from '../../drivers/rtsp/rtsp-frame-reader.js';
import type { UpstreamHub } from '../../streams/upstream-hub.js';
import type { Cluster } from '../cluster/cluster.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import type { NormalizedEvent } from '../core/events.js';
import type { Incident } from '../core/incident-types.js';
import { retryUntilCommitted } from '../core/retry-ingest.js';
import { errorMessage } from '../errors.js';
import type { SupervisionMaintainer } from '../panels/supervision-maintainer.js';
import type { Module, Service } from '../service.js';
import type { BackoffPolicy } from './backoff.js';
import { fromOnvif, fromWatchdog } from './camera-events.js';
import { CameraHealthMaintainer, type OpenFrameSource } from './camera-health-maintainer.js';
import { CameraLosses } from './camera-losses.js';
import { CameraRegistry } from './camera-registry.js';
import { cameraRoutes } from './camera-routes.js';
import { CameraStateStore } from './camera-state-store.js';

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
  let offCameras: (() => void) | undefined;
  let stopping = false;
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

      // Camera events are retried until committed (issue 13); a camera's losses and restores in order.
      const chains = new Map<string, Promise<unknown>>();
      const ingest = (ev: NormalizedEvent, after?: () => Promise<void>) => {
        events.inc({ camera: ev.device, type: ev.type });
        const prev = chains.get(ev.device) ?? Promise.resolve();
        const next = prev.then(async () => {
          const done = await retryUntilCommitted(() => core.ingest(ev), {
            log,
            what: { camera: ev.device, type: ev.type, event: ev.key },
            stopped: () => stopping,
          });
          if (done !== undefined) await after?.();
        });
        chains.set(ev.device, next);
        void next
          .catch((err: unknown) =>
            log.error({ err, camera: ev.device }, 'cameras: saving camera state failed'),
          )
          .finally(() => {
            if (chains.get(ev.device) === next) chains.delete(ev.device);
          });
      };
      // On SQLite this node writes every loss, so the health checks read them from memory.
      const states = new CameraStateStore(svc.need('store').k, {
        onlyWriter: config.storage.database.kind !== 'postgres',
      });
      const lostSince = new Map<string, Date>();
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
            // The hub retries its upstream while anyone is subscribed: keep the subscription.
            return { stop: unsubscribe, selfHealing: true };
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

      // Issue 16: a camera's watchdog runs on one node, the holder of its lease (`camera:<id>`); a node
      // taking a camera over starts from the loss state the one before stored, so an ongoing loss is
      // neither raised twice nor forgotten. A single node holds every camera.
      const watch = async (cam: CameraConfig) => {
        const was = await states.loss(cam.id);
        if (was) {
          lostSince.set(cam.id, new Date(was.lostSince));
          // Lost before the restart (or the takeover) and never committed: raise it again, same key.
          if (!was.reported)
            ingest(
              fromWatchdog(cam, 'video_loss', new Date(), { restart: true }, new Date(was.lostSince)),
              () => states.setLoss(cam.id, was.lostSince, true),
            );
        } else lostSince.delete(cam.id);
        const health = new CameraHealthMaintainer({
          lossSeconds: cam.videoLossSeconds,
          lostSince: was ? Date.parse(was.lostSince) : undefined,
          open: openFrames(cam),
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
          onState: (s) => up.set({ camera: cam.id }, s === 'up' ? 1 : 0),
          onReconnect: ({ attempt, delayMs, reason }) => {
            reconnects.inc({ camera: cam.id });
            log.debug({ camera: cam.id, attempt, delayMs, reason }, 'cameras: stream reconnect');
          },
          onLoss: ({ seconds, reason, lastFrameAt }) => {
            losses.inc({ camera: cam.id });
            log.warn({ camera: cam.id, seconds, reason }, 'cameras: video loss');
            const since = new Date();
            lostSince.set(cam.id, since);
            const iso = since.toISOString();
            // The loss is stored before its commit is tried: a crash in between raises it again. With
            // its last video, so cameras lost together are counted (never those that had none).
            const last = lastFrameAt !== undefined ? new Date(lastFrameAt).toISOString() : null;
            void states
              .setLoss(cam.id, iso, false, last)
              .catch((err: unknown) =>
                log.error({ err, camera: cam.id }, 'cameras: saving loss state failed'),
              );
            ingest(
              fromWatchdog(cam, 'video_loss', since, { seconds, ...(reason ? { reason } : {}) }, since),
              () => states.setLoss(cam.id, iso, true),
            );
          },
          onRestore: ({ downSeconds }) => {
            log.info({ camera: cam.id, downSeconds }, 'cameras: video restored');
            const since = lostSince.get(cam.id) ?? new Date(Date.now() - downSeconds * 1000);
            lostSince.delete(cam.id);
            ingest(fromWatchdog(cam, 'video_restore', new Date(), { downSeconds }, since), () =>
              states.setLoss(cam.id, null, false),
            );
          },
        });
        reg.setHealth(cam.id, health);
        health.start();
      };
      for (const cam of config.cameras) up.set({ camera: cam.id }, 0);
      // On SQLite the node is alone and watches every camera from the start, as it always did.
      const cluster =
        config.storage.database.kind === 'postgres'
          ? (svc.parts.get('cluster') as Cluster | undefined)
          : undefined;
      const owns = (camera: string) => cluster?.ownsCamera(camera) ?? true;
      // Starts and stops of one camera's watchdog take turns (a lease lost and won again quickly).
      const turns = new Map<string, Promise<void>>();
      const watching = new Set<string>();
      const follow = (owned: ReadonlySet<string>) => {
        for (const cam of config.cameras) {
          const want = owned.has(cam.id) && !stopping;
          if (want === watching.has(cam.id)) continue;
          if (want) watching.add(cam.id);
          else watching.delete(cam.id);
          const next = (turns.get(cam.id) ?? Promise.resolve()).then(async () => {
            if (want) await watch(cam);
            else reg.healthOf(cam.id)?.stop();
          });
          turns.set(
            cam.id,
            next.catch((err: unknown) =>
              log.error({ err, camera: cam.id }, 'cameras: could not start or stop a watchdog'),
            ),
          );
        }
      };

      // Alarm PTZ: a zone that names a preset turns its cameras there when its alarm opens an incident,
      // and when a later event joins, confirms or raises it (issue 13: not on incident:new only).
      const turn = (inc: Incident, refs: Incident['events']) => {
        if (inc.kind !== 'alarm') return;
        for (const ev of refs) {
          const zone = ev.zone !== undefined ? dir.panel(ev.device)?.zones[ev.zone] : undefined;
          if (zone?.preset === undefined) continue;
          for (const camId of zone.cameras) {
            // Issue 16: turned (and audited) once, by the node holding the camera.
            if (!owns(camId)) continue;
            // PTZ does not wait for its audit row: the turn is what the operator needs first.
            void audit
              .append({
                actor: 'system',
                action: 'camera.ptz',
                target: `camera:${camId}`,
                detail: { command: 'goto_preset', preset: zone.preset, incident: inc.id, reason: 'alarm' },
              })
              .catch((err: unknown) =>
                log.error(
                  { camera: camId, err: errorMessage(err) },
                  'cameras: could not audit an alarm PTZ turn',
                ),
              );
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
      };
      const offNew = bus.on('incident:new', (inc: Incident) => turn(inc, inc.events));
      const offUpdate = bus.on('incident:update', (inc, change) => {
        const key = 'eventKey' in change ? change.eventKey : undefined;
        if (!key) return;
        turn(
          inc,
          inc.events.filter((e) => e.key === key),
        );
      });
      offIncident = () => {
        offNew();
        offUpdate();
      };

      // Cameras lost together are the city's one trouble: judged by the node that sweeps for silent
      // panels (supervision's own answer; on SQLite there is one node), from every node's stored losses.
      const rule = config.storage.camerasLostTogether;
      svc.parts.set(
        'cameras.losses',
        new CameraLosses({
          states,
          cameras: config.cameras.map((c) => c.id),
          windowMs: rule.minutes * 60_000,
          rule: { least: rule.cameras, share: rule.share, badShare: rule.badShare },
          judges: () =>
            (svc.parts.get('panels.supervision') as SupervisionMaintainer | undefined)?.sweeping() ?? true,
          placeOf: (camera) => dir.site(dir.camera(camera)?.site ?? '')?.jurisdiction,
          tree: dir.tree,
        }),
      );
      svc.parts.set('cameras', reg);
      svc.need('app').use(cameraRoutes(svc, reg));
      reg.start();
      // Watchdogs follow the camera leases; a node without the cluster part watches every camera
      // once the module table has run, so the stream hub (a later module) is there.
      if (cluster) offCameras = cluster.onCameras(follow);
      else startTimer = setTimeout(() => follow(new Set(config.cameras.map((c) => c.id))), 0);
      log.info({ cameras: config.cameras.length }, 'cameras: registry started');
    },
    async stop() {
      stopping = true;
      clearTimeout(startTimer);
      offCameras?.();
      offIncident?.();
      await registry?.stop();
    },
  };
}
