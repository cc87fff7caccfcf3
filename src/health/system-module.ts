import { hostname } from 'node:os';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import type { Module, Service } from '../service.js';
import { type MinuteSample, SystemHistory, SystemHistoryStore } from './system-history.js';
import { systemRoutes } from './system-routes.js';

interface Counts {
  panels?: number;
  online?: number;
  cameras?: number;
  up?: number;
}

/** What `/api/health` says of the minute that ended at `end`, as one row of the history. */
export async function sampleMinute(svc: Service, end: number): Promise<MinuteSample> {
  const core = svc.core?.health(end - 1).lastMinute;
  const dispatcher = svc.parts.get('outbox.dispatcher') as OutboxDispatcher | undefined;
  const sinks = Object.values(dispatcher ? await dispatcher.status() : {});
  const counts = (part: string) =>
    (svc.parts.get(part) as { health?: () => Counts } | undefined)?.health?.() ?? undefined;
  const panels = counts('panels');
  const cameras = counts('cameras');
  return {
    committed: core?.committed ?? 0,
    waitP50Ms: core?.waitP50Ms ?? 0,
    waitP99Ms: core?.waitP99Ms ?? 0,
    waitMaxMs: core?.waitMaxMs ?? 0,
    sinksFailing: sinks.filter((s) => s.failures > 0).length,
    sinksBehind: Math.max(0, ...sinks.map((s) => s.behind)),
    sinksBehindSeconds: Math.max(0, ...sinks.map((s) => s.behindSeconds)),
    ...(panels?.panels !== undefined
      ? { panels: { panels: panels.panels, online: panels.online ?? 0 } }
      : {}),
    ...(cameras?.cameras !== undefined ? { cameras: { cameras: cameras.cameras, up: cameras.up ?? 0 } } : {}),
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
    const history = new SystemHistory({
      store,
      node: historyNode(svc),
      keepDays: svc.config.storage.systemHistoryDays,
      sample: (end) => sampleMinute(svc, end),
      log: svc.log,
      metrics: svc.metrics,
    });
    svc.parts.set('system.history', history);
    svc.need('app').use(systemRoutes(svc, store));
    history.start();
  },
  async stop(svc) {
    await (svc.parts.get('system.history') as SystemHistory | undefined)?.stop();
  },
};
