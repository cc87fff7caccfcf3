import { hostname } from 'node:os';
import { healthChecks } from '../api/health-routes.js';
import type { Cluster } from '../cluster/cluster.js';
import { loopMonitor } from '../metrics.js';
import type { RecordingHealth } from '../recording/recording-module.js';
import type { Module, Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { type MinuteSample, SystemHistory, SystemHistoryStore } from './system-history.js';
import { type SystemPeers, systemPeers } from './system-peers.js';
import { systemRoutes } from './system-routes.js';
import { TroubleAcks } from './system-trouble-acks.js';
import { type SystemStatus, SystemWatch } from './system-watch.js';

/** The Socket.IO room of every desk (all roles but `site`): `system:status` goes there. */
export const SYSTEM_ROOM = 'desk:system';

/** How late the event loop ran, in ms: p99 and worst; read and reset once a minute. */
export interface LoopDelay {
  read(): { p99Ms: number; maxMs: number };
  stop(): void;
}

/**
 * The alarm thread's event-loop delay from a monitor of its own (`loopMonitor`, as
 * `sharpeyes_event_loop_delay_seconds`, whose histogram each scrape resets).
 */
export function loopDelay(resolutionMs = 10): LoopDelay {
  const { histogram: h, lateMs } = loopMonitor(resolutionMs);
  const late = (ns: number) => Math.round(lateMs(ns) * 100) / 100;
  return {
    read() {
      const out =
        h.count > 0 ? { p99Ms: late(h.percentile(99)), maxMs: late(h.max) } : { p99Ms: 0, maxMs: 0 };
      h.reset();
      return out;
    },
    stop: () => h.disable(),
  };
}

/**
 * What `/api/health` says of the minute that ended at `end` (`healthChecks`), as one row of the
 * history. A database or outbox that does not answer leaves the minute a gap.
 */
export async function sampleMinute(svc: Service, end: number, loop?: LoopDelay): Promise<MinuteSample> {
  const { ok, checks } = await healthChecks(svc, end - 1);
  if (!ok || checks.outbox === 'error') throw new Error('the database or the outbox did not answer');
  const core = checks.core?.lastMinute;
  const sinks = Object.values(checks.outbox?.sinks ?? {});
  const { panels, cameras } = checks;
  const held = loop?.read() ?? { p99Ms: 0, maxMs: 0 };
  return {
    committed: core?.committed ?? 0,
    waitP50Ms: core?.waitP50Ms ?? 0,
    waitP99Ms: core?.waitP99Ms ?? 0,
    waitMaxMs: core?.waitMaxMs ?? 0,
    sinksFailing: sinks.filter((s) => s.failures > 0).length,
    sinksBehind: Math.max(0, ...sinks.map((s) => s.behind)),
    sinksBehindSeconds: Math.max(0, ...sinks.map((s) => s.behindSeconds)),
    loopP99Ms: held.p99Ms,
    loopMaxMs: held.maxMs,
    ...(panels?.panels !== undefined
      ? { panels: { panels: panels.panels, online: panels.online ?? 0 } }
      : {}),
    ...(cameras?.cameras !== undefined ? { cameras: { cameras: cameras.cameras, up: cameras.up ?? 0 } } : {}),
    ...(checks['recording'] ? { recording: checks['recording'] as RecordingHealth } : {}),
  };
}

/**
 * The name this node's minutes go under: its configured `cluster.nodeId`, else the host's name. Not
 * the cluster's default id (host and process id), which changes at each start: the history of one
 * machine would look like a new node after every restart, and its stops would not show as gaps.
 */
export function historyNode(svc: Service): string {
  return svc.config.cluster.nodeId ?? hostname();
}

/**
 * 系统状态's history: each node writes what its health said of each minute (`system_minutes`), and
 * `GET /api/system/history` reads every node's together, so a duty engineer called at night sees
 * when the waits began to grow, which sink failed since when, and when a node was down (a gap).
 */
export const systemModule: Module = {
  name: 'system',
  async start(svc) {
    const store = new SystemHistoryStore(svc.need('store').k);
    const loop = loopDelay();
    svc.parts.set('system.loop', loop);
    const history = new SystemHistory({
      store,
      node: historyNode(svc),
      keepDays: svc.config.storage.systemHistoryDays,
      sample: (end) => sampleMinute(svc, end, loop),
      log: svc.log,
      metrics: svc.metrics,
    });
    svc.parts.set('system.history', history);
    // The receiver's own troubles, told to every desk as they begin and end (a customer's site
    // user is not told: it is the centre's business).
    const ops = svc.need('ops');
    const audit = svc.need('audit');
    const acks = new TroubleAcks(svc.need('store').k);
    const watch = new SystemWatch({
      // This process (the cluster's id: host and pid unless configured): two nodes on one host
      // without a nodeId must not overwrite each other's state on the desks.
      node: svc.parts.get('cluster') ? svc.part<Cluster>('cluster').nodeId : historyNode(svc),
      check: () => healthChecks(svc),
      // Through the adapter: every node's desks hear every node.
      emit: (status: SystemStatus) => ops.to(SYSTEM_ROOM).emit('system:status', status),
      log: svc.log,
      metrics: svc.metrics,
      audit: (entry) => audit.append(entry),
      acks,
      // As long as 系统状态's history (the audit chain keeps them for good).
      keepAcksDays: svc.config.storage.systemHistoryDays,
      placeName: (id) => svc.need('dir').tree.get(id)?.name,
      everyMs: svc.config.storage.systemWatchSeconds * 1000,
    });
    ops.on('connection', (socket) => {
      const user = socket.data['user'] as User | undefined;
      if (!user || user.role === 'site') return;
      void socket.join(SYSTEM_ROOM);
      socket.emit('system:status', watch.current());
    });
    svc.parts.set('system.watch', watch);
    // Taking charge of another node's trouble asks that node what stands (the nodes talk through Redis).
    const peers = systemPeers(watch, svc.config.realtime.redis ? ops : undefined, svc.log);
    svc.parts.set('system.peers', peers);
    svc.need('app').use(systemRoutes(svc, store, watch, acks, peers));
    history.start();
    watch.start();
  },
  async stop(svc) {
    (svc.parts.get('system.peers') as SystemPeers | undefined)?.stop();
    await (svc.parts.get('system.watch') as SystemWatch | undefined)?.stop();
    await (svc.parts.get('system.history') as SystemHistory | undefined)?.stop();
    (svc.parts.get('system.loop') as LoopDelay | undefined)?.stop();
  },
};
