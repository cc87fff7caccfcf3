import { defaultNodeId } from '../config/sections/cluster.js';
import type { Module } from '../service.js';
import { Cluster } from './cluster.js';
import { LeaseStore } from './lease-store.js';

/**
 * Issue 16: this node's place in the city. Started right after the store, so every later module can
 * hand its timers to `svc.parts 'cluster'` (`run`) and follow its cameras (`onCameras`). A single
 * node holds every lease itself within its first round, so nothing changes for one node on SQLite.
 */
export const clusterModule: Module = {
  name: 'cluster',
  async start(svc) {
    const { cluster: cfg } = svc.config;
    const cluster = new Cluster({
      leases: new LeaseStore(svc.need('store').k),
      nodeId: cfg.nodeId ?? defaultNodeId(),
      leaseMs: cfg.leaseSeconds * 1000,
      log: svc.log.child({ node: cfg.nodeId ?? defaultNodeId() }),
      metrics: svc.metrics,
      solo: svc.config.storage.database.kind === 'sqlite',
    });
    cluster.setCameras(svc.config.cameras.map((c) => c.id));
    svc.parts.set('cluster', cluster);
    // Jobs registered by the modules after this one start at the next round once every module is up
    // (listenModule's neighbour, clusterStartModule), not half-way through the start.
  },
  async stop(svc) {
    if (svc.parts.has('cluster')) await svc.part<Cluster>('cluster').stop();
  },
};

/** Starts the lease rounds once every module has registered its jobs (placed after listen). */
export const clusterStartModule: Module = {
  name: 'cluster-start',
  async start(svc) {
    const cluster = svc.part<Cluster>('cluster');
    await cluster.start();
    svc.log.info({ node: cluster.nodeId, nodes: cluster.members().length }, 'cluster: joined');
  },
};
