import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { LeaseStore } from './lease-store.js';

/** Something exactly one node runs at a time: started when this node gets its lease, stopped when it loses it. */
export interface Exclusive {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

interface Job extends Exclusive {
  running: boolean;
  /** Start and stop of one job never overlap. */
  chain: Promise<void>;
}

export interface ClusterDeps {
  leases: LeaseStore;
  nodeId: string;
  leaseMs: number;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
  /**
   * One node on its own database (SQLite is never shared): holds everything, takes no leases, so a
   * restart after a crash does not wait for its own old leases to lapse.
   */
  solo?: boolean;
}

const NODE = 'node:';
const CAMERA = 'camera:';

/** Rendezvous (highest random weight) hashing: the node a name belongs to, stable while nodes come and go. */
export function preferredNode(name: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const n of nodes) {
    const w = createHash('sha1').update(`${name}|${n}`).digest().readUInt32BE(0);
    if (w > bestWeight || (w === bestWeight && best !== undefined && n < best)) {
      best = n;
      bestWeight = w;
    }
  }
  return best;
}

/**
 * Who does what in a city of identical nodes, from leases in the database (no coordinator process).
 * Each node holds `node:<id>` while alive; every timer job and every camera is a lease too, spread
 * over the live nodes by rendezvous hashing, so a node joining takes its share and a node leaving
 * (or dying: its leases are not renewed) has its share taken over by the others within about one
 * lease time. A node acts on a lease only while its own clock says the lease is still good, minus a
 * margin, so it stops before another node may start. Node clocks must agree (NTP) to well within that margin.
 */
export class Cluster {
  readonly nodeId: string;
  readonly leaseMs: number;
  private readonly now: () => number;
  /** name → local time until which this node may act on it. */
  private readonly held = new Map<string, number>();
  private readonly jobs = new Map<string, Job>();
  private cameras: string[] = [];
  private nodes: string[] = [];
  private readonly cameraListeners = new Set<(owned: ReadonlySet<string>) => void>();
  private ownedCameras = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private started = false;
  private readonly heldGauge;
  private readonly takeovers;

  constructor(private readonly deps: ClusterDeps) {
    this.nodeId = deps.nodeId;
    this.leaseMs = deps.leaseMs;
    this.now = deps.now ?? Date.now;
    this.heldGauge = deps.metrics.gauge('sharpeyes_cluster_leases_held', 'Leases this node holds', ['kind']);
    this.takeovers = deps.metrics.counter(
      'sharpeyes_cluster_lease_acquired_total',
      'Leases this node took (at start, on a rebalance, or from a node that died)',
      ['kind'],
    );
  }

  /** Renewal period: three tries before a lease lapses. */
  get tickMs(): number {
    return Math.max(200, Math.floor(this.leaseMs / 3));
  }

  async start(): Promise<void> {
    if (this.deps.solo) {
      this.started = true;
      this.nodes = [this.nodeId];
      for (const [name, job] of this.jobs) await this.setRunning(name, job, true);
      this.updateCameras();
      return;
    }
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Stops every job, then gives every lease up at once: the other nodes need not wait for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    for (const [name, job] of this.jobs) await this.setRunning(name, job, false);
    this.held.clear();
    this.updateCameras();
    if (this.deps.solo) return;
    try {
      await this.deps.leases.releaseAll(this.nodeId);
    } catch (err) {
      this.deps.log.warn({ err }, 'cluster: could not release leases; they lapse on their own');
    }
  }

  /** Registers a job exactly one node runs (escalation checks, sweeps, an outbox sink...). */
  run(name: string, job: Exclusive): void {
    const j: Job = { ...job, running: false, chain: Promise.resolve() };
    this.jobs.set(name, j);
    if (this.deps.solo && this.started) void this.setRunning(name, j, true);
    if (this.timer) void this.tick();
  }

  /** One node on its own database: nobody else acts on what it holds. */
  get solo(): boolean {
    return this.deps.solo === true;
  }

  /** Whether this node may act on `name` now. */
  holds(name: string): boolean {
    if (this.deps.solo) return this.started && !this.stopped;
    return (this.held.get(name) ?? 0) > this.now();
  }

  /** The cameras to share out (all configured cameras). */
  setCameras(ids: readonly string[]): void {
    this.cameras = [...ids];
    if (this.deps.solo) this.updateCameras();
    if (this.timer) void this.tick();
  }

  ownsCamera(id: string): boolean {
    return this.holds(CAMERA + id);
  }

  /** Called with this node's cameras whenever they change (recording and watchdogs follow it). */
  onCameras(fn: (owned: ReadonlySet<string>) => void): () => void {
    this.cameraListeners.add(fn);
    fn(this.ownedCameras);
    return () => this.cameraListeners.delete(fn);
  }

  /** Live nodes as of the last tick. */
  members(): readonly string[] {
    return this.nodes;
  }

  health(): Record<string, unknown> {
    return {
      node: this.nodeId,
      nodes: this.nodes.length,
      jobs: [...this.jobs.keys()].filter((n) => this.holds(n)),
      cameras: this.ownedCameras.size,
    };
  }

  /** One round: renew, see who is alive, hand over what belongs elsewhere, take what is ours. */
  tick(): Promise<void> {
    if (!this.ticking)
      this.ticking = this.round()
        .catch(async (err: unknown) => {
          this.deps.log.error({ err }, 'cluster: lease round failed; retrying');
          // The database is out of reach: what this node can no longer renew it stops doing when its
          // lease runs out, since another node may take it over then.
          for (const [name, job] of this.jobs) await this.setRunning(name, job, this.holds(name));
          this.updateCameras();
        })
        .finally(() => {
          this.ticking = undefined;
        });
    return this.ticking;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { leases, log } = this.deps;
    const ttl = this.leaseMs;
    // Act only until a little before the lease ends, so this node stops before another may start.
    const margin = Math.min(1000, Math.floor(ttl / 5));
    const t0 = this.now();
    const mine = NODE + this.nodeId;
    const renewed = await leases.renewAll([...this.held.keys(), mine], this.nodeId, t0, ttl);
    for (const name of [...this.held.keys()]) {
      if (renewed.has(name)) this.held.set(name, t0 + ttl - margin);
      else {
        this.held.delete(name);
        log.warn({ lease: name }, 'cluster: lost a lease (not renewed in time)');
      }
    }
    if (!renewed.has(mine) && !(await leases.acquire(mine, this.nodeId, t0, ttl))) {
      // Another process uses this node id: two nodes must never share one.
      throw new Error(`cluster: node id ${this.nodeId} is held by another process`);
    }
    this.nodes = (await leases.live(NODE, t0)).map((l) => l.name.slice(NODE.length)).sort();
    if (!this.nodes.includes(this.nodeId)) this.nodes.push(this.nodeId);
    const wanted = [...this.jobs.keys(), ...this.cameras.map((c) => CAMERA + c)];
    for (const name of wanted) {
      if (this.stopped) return;
      const mineByHash = preferredNode(name, this.nodes) === this.nodeId;
      if (!mineByHash) {
        if (this.held.has(name)) {
          // Rebalance: its preferred node is alive and takes it on its next round.
          await this.stopJob(name);
          this.held.delete(name);
          await leases.release(name, this.nodeId);
        }
        continue;
      }
      if (this.held.has(name)) continue;
      const t = this.now();
      if (await leases.acquire(name, this.nodeId, t, ttl)) {
        this.held.set(name, t + ttl - margin);
        this.takeovers.inc({ kind: name.split(':')[0] ?? 'other' });
        log.info({ lease: name }, 'cluster: took a lease');
      }
    }
    // Jobs follow the leases: start what this node now holds, stop what it no longer does.
    for (const [name, job] of this.jobs) await this.setRunning(name, job, this.holds(name));
    this.updateCameras();
    const kinds = new Map<string, number>();
    for (const name of this.held.keys()) {
      const kind = name.split(':')[0] ?? 'other';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const kind of ['camera', 'timer', 'outbox']) this.heldGauge.set({ kind }, kinds.get(kind) ?? 0);
  }

  private async stopJob(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (job) await this.setRunning(name, job, false);
  }

  private setRunning(name: string, job: Job, run: boolean): Promise<void> {
    if (job.running === run) return job.chain;
    job.running = run;
    job.chain = job.chain.then(async () => {
      try {
        if (run) await job.start();
        else await job.stop();
        this.deps.log.info(
          // The node is in the logger's bindings (src/cluster/cluster-module.ts): not repeated here.
          { job: name },
          run ? 'cluster: job started here' : 'cluster: job stopped here',
        );
      } catch (err) {
        this.deps.log.error({ err, job: name }, `cluster: could not ${run ? 'start' : 'stop'} a job`);
      }
    });
    return job.chain;
  }

  private updateCameras(): void {
    const owned = new Set(this.cameras.filter((c) => this.ownsCamera(c)));
    const same = owned.size === this.ownedCameras.size && [...owned].every((c) => this.ownedCameras.has(c));
    if (same) return;
    this.ownedCameras = owned;
    for (const fn of this.cameraListeners) {
      try {
        fn(owned);
      } catch (err) {
        this.deps.log.error({ err }, 'cluster: a camera-assignment listener failed');
      }
    }
  }
}
