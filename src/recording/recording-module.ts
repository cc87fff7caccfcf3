import { resolve } from 'node:path';
import { Gauge } from 'prom-client';
import { loadOrCreateSiteKey } from '../../streams/evidence-keys.js';
import { PlaybackHolds } from '../../streams/playback-holds.js';
import { PlayerHolds } from '../../streams/player-holds.js';
import { type HubLike, Recorder } from '../../streams/recorder.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { SegmentIndex } from '../../streams/segment-index.js';
import { sanitizeName } from '../../streams/segment-paths.js';
import { SegmentWriter } from '../../streams/segment-writer.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Module, Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { AlarmClips } from './alarm-clips.js';
import { bookmarkRoutes } from './bookmark-routes.js';
import { clipRoutes } from './clip-routes.js';
import { evidenceRoutes } from './evidence-routes.js';
import { exportRoutes } from './export-routes.js';
import { ExportService } from './export-service.js';
import { holdRoutes } from './hold-routes.js';
import { PlaybackViews } from './playback-views.js';
import { recordingRoutes } from './recording-routes.js';
import { RecordingStore } from './recording-store.js';

/** What the module publishes as `svc.parts.get('recording')`. */
export interface RecordingPart {
  index: SegmentIndex;
  store: RecordingStore;
  writer: SegmentWriter;
  recorder: Recorder | undefined;
  retention: RetentionMaintainer;
  /** What this node's range playbacks hold while they stream. */
  holds: PlaybackHolds;
  /** What the console's players hold while investigators have footage open (renewed by the page). */
  playerHolds: PlayerHolds;
  exports: ExportService;
  clips: AlarmClips;
  /** The background reconcile started at start-up (tests wait for it). */
  reconciled: Promise<unknown>;
  /** For `/api/health` (`checks.recording`) and the desks' system badge. */
  health(): RecordingHealth;
}

/** What recording says of itself: counts only (health answers anyone; paths and cameras are in the log). */
export interface RecordingHealth {
  /** Cameras whose segment writes failed in the last minute (a full or failing disk). */
  camerasFailing: number;
  /** Cameras that dropped footage in the last minute because the writer thread was behind. */
  camerasDropping: number;
  /** Storage paths with less than `minFreeHours` of room: the oldest footage is purged early. */
  storageShort: number;
  /** Of those, paths where every segment that could go is under an evidence lock: nothing can be written. */
  storageFull: number;
}

/** A camera's failed or dropped write counts in health for this long. */
const FAULT_MS = 60_000;

const userRoom = (username: string) => `u:${username}`;

/**
 * Issues 6 and 14: continuous recording of every camera's main stream (a consumer of the stream hub;
 * the bytes are written by the segment writer thread, off the event loop), retention in bounded
 * async passes, alarm clips, the timeline and segment playback, bookmarks and signed evidence
 * exports. Starts after the live module (which publishes the hub) and before `listen`.
 */
export function recordingModule(): Module {
  let part: RecordingPart | undefined;
  let offCameras: (() => void) | undefined;
  let followed: Promise<void> = Promise.resolve();
  return {
    name: 'recording',
    async start(svc: Service) {
      const cfg = svc.config.recording;
      const dataDir = svc.config.storage.dataDir;
      const dir = svc.need('dir');
      const { k, dialect } = svc.need('store');
      const index = new SegmentIndex(k, dialect);
      const store = new RecordingStore(k);
      const paths =
        cfg.paths.length > 0
          ? cfg.paths.map((p) => ({ path: resolve(p.path), maxBytes: p.maxBytes, cameras: p.cameras }))
          : [{ path: resolve(dataDir, 'recordings'), maxBytes: undefined, cameras: [] as string[] }];
      const storageFor = (camera: string) =>
        (paths.find((p) => p.cameras.includes(camera)) ?? paths[0])?.path ?? resolve(dataDir, 'recordings');
      const byDir = new Map(dir.allCameras().map((c) => [sanitizeName(c.id), c.id]));
      const cameras = dir.allCameras().map((c) => c.id);

      const ops = svc.need('ops');
      ops.on('connection', (socket) => {
        const user = socket.data['user'] as User | undefined;
        if (user) void socket.join(userRoom(user.username));
      });
      const key = loadOrCreateSiteKey(resolve(dataDir, 'keys'));
      const exports = new ExportService({
        k,
        index,
        exportsDir: resolve(dataDir, 'exports'),
        key,
        timeZone: cfg.timeZone,
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
          expire: async (cutoffMs) => {
            const gone = await exports.expire(cutoffMs);
            for (const e of gone)
              await audit.append({
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
      // Segments a crash left unindexed are indexed before recording resumes (exact first gap); the
      // full walk of the archive runs in the background, yielding.
      await retention.recoverRecent(cameras);
      const reconciled = retention
        .reconcile()
        .catch((err: unknown) => svc.log.error({ err }, 'retention: reconcile failed'));
      // Issue 16: one node of a city runs retention (and export expiry) over the shared footage.
      // On SQLite the node is alone: everything starts here and now, as it always did.
      const cluster =
        svc.config.storage.database.kind === 'postgres'
          ? (svc.parts.get('cluster') as Cluster | undefined)
          : undefined;
      const retentionJob = {
        start: () => retention.start(cfg.maintainSeconds * 1000),
        stop: () => retention.stop(),
      };
      if (cluster) cluster.run('timer:retention', retentionJob);
      else retentionJob.start();

      const segments = svc.metrics.counter('sharpeyes_recording_segments_total', 'Segments recorded');
      const segBytes = svc.metrics.counter('sharpeyes_recording_bytes_total', 'Bytes recorded');
      const dropped = svc.metrics.counter(
        'sharpeyes_recording_dropped_total',
        'Times a camera dropped footage because the segment writer thread was behind (a slow disk)',
        ['camera'],
      );
      const writeFailed = svc.metrics.counter(
        'sharpeyes_recording_write_failed_total',
        'Times a camera’s segment write failed (a full or failing disk); recording resumed at the next keyframe',
        ['camera'],
      );
      // When each camera last failed or dropped a write, for health.
      const faults = { failed: new Map<string, number>(), dropped: new Map<string, number>() };
      const writer = new SegmentWriter({ log: svc.log });
      if (!svc.metrics.registry.getSingleMetric('sharpeyes_recording_writer_backlog_bytes'))
        new Gauge({
          name: 'sharpeyes_recording_writer_backlog_bytes',
          help: 'Bytes handed to the segment writer thread and not yet on disk',
          registers: [svc.metrics.registry],
          collect() {
            this.set(writer.backlog);
          },
        });
      let recorder: Recorder | undefined;
      const hub = svc.parts.get('streams') as HubLike | undefined;
      if (!cfg.enabled) svc.log.info({}, 'recording: disabled in config');
      else if (!hub) svc.log.warn({}, 'recording: no stream hub (svc.parts "streams"); nothing is recorded');
      else {
        recorder = new Recorder(hub, {
          index,
          writer,
          storageFor,
          segmentSeconds: cfg.segmentSeconds,
          log: svc.log,
          onSegment: (s) => {
            segments.inc();
            segBytes.inc(s.bytes);
          },
          onDropped: (camera) => {
            dropped.inc({ camera });
            faults.dropped.set(camera, Date.now());
          },
          onFailed: (camera) => {
            writeFailed.inc({ camera });
            faults.failed.set(camera, Date.now());
          },
        });
        const rec = recorder;
        // The writer's thread exists before the service lowers its helper threads after starting.
        if (cameras.length > 0) writer.start();
        if (cluster) {
          // Issue 16: each camera is recorded by the node holding its lease, and only there.
          offCameras = cluster.onCameras((owned) => {
            followed = followed
              .then(async () => {
                for (const c of cameras) if (!owned.has(c)) await rec.stopCamera(c);
                const mine = cameras.filter((c) => owned.has(c));
                if (mine.length > 0) await rec.start(mine);
              })
              .catch((err: unknown) =>
                svc.log.error({ err }, 'recording: could not follow the camera leases'),
              );
          });
        } else await rec.start(cameras);
      }

      const clipsDir = resolve(dataDir, 'clips');
      const clips = new AlarmClips({
        bus: svc.bus,
        dir,
        store: svc.need('store'),
        k,
        index,
        recorder,
        clipsDir,
        segmentSeconds: cfg.segmentSeconds,
        timeZone: cfg.timeZone,
        log: svc.log,
      });
      // Issue 16: the clip jobs are one node's at a time (it cuts from the shared index and footage).
      if (cluster) cluster.run('timer:clips', { start: () => clips.start(), stop: () => clips.stop() });
      else await clips.start();
      const app = svc.need('app');
      const maxRangeMs = cfg.maxExportSeconds * 1000;
      const holds = new PlaybackHolds({ index, log: svc.log });
      const playerHolds = new PlayerHolds({ index });
      app.use(holdRoutes(svc, { holds: playerHolds }));
      app.use(recordingRoutes(svc, { index, store, views: new PlaybackViews(), holds, maxRangeMs }));
      app.use(clipRoutes(svc, { index, store, exports, clipsDir }));
      app.use(exportRoutes(svc, { index, exports, maxRangeMs }));
      app.use(bookmarkRoutes(svc, { index, store }));
      app.use(evidenceRoutes(svc, { index, publicKeyPem: key.publicKeyPem }));
      const recent = (m: Map<string, number>, since: number) =>
        [...m.values()].filter((t) => t >= since).length;
      part = {
        index,
        store,
        writer,
        recorder,
        retention,
        holds,
        playerHolds,
        exports,
        clips,
        reconciled,
        health() {
          const since = Date.now() - FAULT_MS;
          const rooms = retention.storage();
          return {
            camerasFailing: recent(faults.failed, since),
            camerasDropping: recent(faults.dropped, since),
            storageShort: rooms.filter((r) => r.short).length,
            storageFull: rooms.filter((r) => r.full).length,
          };
        },
      };
      svc.parts.set('recording', part);
    },
    async stop() {
      if (!part) return;
      const p = part;
      part = undefined;
      offCameras?.();
      await followed;
      await p.retention.stop();
      await p.holds.stop();
      // A running export is aborted, not waited for: SIGTERM must exit promptly.
      await p.exports.stop();
      await p.clips.stop();
      // Every open segment is closed, flushed and indexed before the store closes.
      await p.recorder?.stop();
      await p.writer.stop();
      await p.reconciled;
    },
  };
}
