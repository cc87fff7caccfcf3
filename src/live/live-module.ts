import { urlSource } from '../../streams/ffmpeg-upstream.js';
import { LiveSnapshots } from '../../streams/live-snapshot.js';
import { mediaLane } from '../../streams/media-lane.js';
import { StreamHub, type StreamName } from '../../streams/upstream-hub.js';
import { redactUrl } from '../log.js';
import type { Module, Service } from '../service.js';
import { liveRoutes } from './live-routes.js';
import { attachLiveSocket } from './live-socket.js';
import { wallRoutes } from './wall-routes.js';

/** The part of the cameras registry (issue 5) the hub needs. */
interface StreamUrls {
  streamUrl(cameraId: string, stream: StreamName): Promise<string | undefined>;
}

export interface LiveModuleOptions {
  /** Linger after the last consumer leaves, ms (default 3000). */
  lingerMs?: number;
}

/**
 * The media plane's stream hub (one upstream per camera stream, shared by the recorder, the live
 * relay and motion analysis) published as `svc.parts.get('streams')`, plus the wall REST API and
 * the JPEG fallback.
 */
export function liveModule(opts: LiveModuleOptions = {}): Module {
  let hub: StreamHub | undefined;
  return {
    name: 'live',
    async start(svc: Service) {
      const dir = svc.need('dir');
      const fragments = svc.metrics.counter('sharpeyes_stream_fragments_total', 'fMP4 fragments received', [
        'stream',
      ]);
      const bytes = svc.metrics.counter('sharpeyes_stream_bytes_total', 'fMP4 bytes received', ['stream']);
      const restarts = svc.metrics.counter('sharpeyes_stream_restarts_total', 'Upstreams lost and reopened', [
        'stream',
      ]);
      laneMetrics(svc);
      hub = new StreamHub({
        log: svc.log,
        ...(opts.lingerMs !== undefined ? { lingerMs: opts.lingerMs } : {}),
        // Resolved at open time, so the cameras module may start before or after this one.
        resolve: async (cameraId, stream) => {
          const cams = svc.parts.get('cameras') as StreamUrls | undefined;
          const url = (await cams?.streamUrl(cameraId, stream)) ?? dir.camera(cameraId)?.rtsp;
          return url ? urlSource(url, redactUrl(url)) : undefined;
        },
        onFragment: (_camera, stream, f) => {
          fragments.inc({ stream });
          bytes.inc({ stream }, f.data.length);
        },
        onRestart: (_camera, stream) => restarts.inc({ stream }),
      });
      svc.parts.set('streams', hub);
      const app = svc.need('app');
      app.use(wallRoutes(svc));
      app.use(liveRoutes(svc, hub, new LiveSnapshots(hub, { width: 640 })));
    },
    async stop() {
      await hub?.stop();
    },
  };
}

/**
 * The live WebSocket relay. Listed after `listen` so that it stops before it: open viewer sockets
 * would otherwise keep the HTTP server from closing.
 */
export function liveRelayModule(): Module {
  let detach: (() => Promise<void>) | undefined;
  return {
    name: 'live-relay',
    async start(svc: Service) {
      detach = attachLiveSocket(svc, svc.part<StreamHub>('streams'));
    },
    async stop() {
      await detach?.();
    },
  };
}

/**
 * The media lane's health (`streams/media-lane.ts`): chunks read from the cameras' pipes and not yet
 * split, and how long they waited since the previous scrape (quantiles; `quantile="1"` the worst).
 * The lane is one per process, shared by every service a test runs in it.
 */
function laneMetrics(svc: Service): void {
  svc.metrics.gauge(
    'sharpeyes_media_lane_pending',
    'Camera chunks read and waiting for the media lane',
    [],
    () => mediaLane.pending,
  );
  svc.metrics.histogramQuantiles(
    'sharpeyes_media_lane_wait_seconds',
    'Wait of camera chunks for the media lane since the previous scrape, quantiles (1 = the worst)',
    mediaLane.waits,
    [0.5, 0.99, 1],
  );
}
