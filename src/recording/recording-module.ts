import { resolve } from 'node:path';
import { loadOrCreateSiteKey } from '../../streams/evidence-keys.js';
import { type HubLike, Recorder } from '../../streams/recorder.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { SegmentIndex } from '../../streams/segment-index.js';
import { sanitizeName } from '../../streams/segment-paths.js';
import type { Module, Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { AlarmClips } from './alarm-clips.js';
import { evidenceRoutes } from './evidence-routes.js';
import { ExportService } from './export-service.js';
import { recordingRoutes } from './recording-routes.js';

/** What the module publishes as `svc.parts.get('recording')`. */
export interface RecordingPart {
  index: SegmentIndex;
  recorder: Recorder | undefined;
  retention: RetentionMaintainer;
  exports: ExportService;
  clips: AlarmClips;
}

const userRoom = (username: string) => `u:${username}`;

/**
 * Issue 6: continuous recording of every camera's main stream (a consumer of the stream hub),
 * retention, alarm clips on incidents, playback and signed evidence exports. Starts after the live
 * module (which publishes the hub) and before `listen`.
 */
export function recordingModule(): Module {
  let part: RecordingPart | undefined;
  return {
    name: 'recording',
    async start(svc: Service) {
      const cfg = svc.config.recording;
      const dataDir = svc.config.storage.dataDir;
      const dir = svc.need('dir');
      const store = svc.need('store');
      const index = new SegmentIndex(store.db);
      const paths =
        cfg.paths.length > 0
          ? cfg.paths.map((p) => ({ path: resolve(p.path), maxBytes: p.maxBytes, cameras: p.cameras }))
          : [{ path: resolve(dataDir, 'recordings'), maxBytes: undefined, cameras: [] as string[] }];
      const storageFor = (camera: string) =>
        (paths.find((p) => p.cameras.includes(camera)) ?? paths[0])?.path ?? resolve(dataDir, 'recordings');
      const byDir = new Map(dir.allCameras().map((c) => [sanitizeName(c.id), c.id]));

      const ops = svc.need('ops');
      ops.on('connection', (socket) => {
        const user = socket.data['user'] as User | undefined;
        if (user) void socket.join(userRoom(user.username));
      });
      const key = loadOrCreateSiteKey(resolve(dataDir, 'keys'));
      const exports = new ExportService({
        db: store.db,
        index,
        exportsDir: resolve(dataDir, 'exports'),
        key,
        log: svc.log,
        onProgress: (st) => ops.to(userRoom(st.requestedBy)).emit('export:progress', st),
      });
      const audit = svc.need('audit');
      const retention = new RetentionMaintainer({
        index,
        paths,
        retentionDays: cfg.retentionDays,
        minFreeHours: cfg.minFreeHours,
        log: svc.log,
        cameraOfDir: (d) => byDir.get(d),
        exports: {
          retentionDays: cfg.exportRetentionDays,
          expire: (cutoffMs) => {
            const gone = exports.expire(cutoffMs);
            for (const e of gone)
              audit.append({
                actor: 'system',
                action: 'footage.export.expire',
                target: `export:${e.id}`,
                detail: {
                  requestedBy: e.requestedBy,
                  createdAt: e.createdAt,
                  retentionDays: cfg.exportRetentionDays,
                },
              });
            return gone.length;
          },
        },
      });
      await retention.reconcile();
      retention.runOnce();
      retention.start(cfg.maintainSeconds * 1000);

      const segments = svc.metrics.counter('sharpeyes_recording_segments_total', 'Segments recorded');
      const segBytes = svc.metrics.counter('sharpeyes_recording_bytes_total', 'Bytes recorded');
      let recorder: Recorder | undefined;
      const hub = svc.parts.get('streams') as HubLike | undefined;
      if (!cfg.enabled) svc.log.info({}, 'recording: disabled in config');
      else if (!hub) svc.log.warn({}, 'recording: no stream hub (svc.parts "streams"); nothing is recorded');
      else {
        recorder = new Recorder(hub, {
          index,
          storageFor,
          segmentSeconds: cfg.segmentSeconds,
          log: svc.log,
          onSegment: (s) => {
            segments.inc();
            segBytes.inc(s.bytes);
          },
        });
        recorder.start(dir.allCameras().map((c) => c.id));
      }

      const clips = new AlarmClips({
        bus: svc.bus,
        dir,
        store,
        db: store.db,
        index,
        recorder,
        clipsDir: resolve(dataDir, 'clips'),
        segmentSeconds: cfg.segmentSeconds,
        log: svc.log,
      });
      clips.start();
      svc.need('app').use(
        recordingRoutes(svc, {
          index,
          exports,
          clipsDir: resolve(dataDir, 'clips'),
          maxRangeMs: cfg.maxExportSeconds * 1000,
        }),
      );
      svc.need('app').use(evidenceRoutes(svc, { index, publicKeyPem: key.publicKeyPem }));
      part = { index, recorder, retention, exports, clips };
      svc.parts.set('recording', part);
    },
    async stop() {
      if (!part) return;
      part.retention.stop();
      // A running export is aborted, not waited for: SIGTERM must exit promptly.
      await part.exports.stop();
      await part.clips.stop();
      part.recorder?.stop();
      part = undefined;
    },
  };
}
