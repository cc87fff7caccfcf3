import { eventKey, type NormalizedEvent } from '../core/events.js';
import { retryUntilCommitted } from '../core/retry-ingest.js';
import { mostWithin, togetherLevel } from '../health/lost-together.js';
import type { Logger } from '../log.js';
import type { ArmedMode, PanelState, PanelStore } from './panel-store.js';

export interface SupervisedPanel {
  id: string;
  site: string;
  heartbeatSeconds: number;
}

/** `SupervisionMaintainer.counts`: times are epoch ms of the panels' last messages. */
export interface PanelCounts {
  panels: number;
  online: number;
  lost: number;
  together: number;
  firstAt?: number;
  lastAt?: number;
}

/** When panels lost together are a trouble of the receiver (`storage.panelsLostTogether`). */
export interface LostTogetherRule {
  /** At least this many panels… */
  panels: number;
  /** …and at least this share of all panels (warn), or `badShare` of them (bad). */
  share: number;
  badShare: number;
}

/** How bad `counts` says panels lost together are, by `rule`; undefined when not a trouble. */
export const lostTogetherLevel = (c: PanelCounts, rule: LostTogetherRule): 'warn' | 'bad' | undefined =>
  togetherLevel(c.together, c.panels, { least: rule.panels, share: rule.share, badShare: rule.badShare });

export interface SupervisionDeps {
  panels: readonly SupervisedPanel[];
  store: PanelStore;
  /** The event core's ingest: resolves once the event is committed. */
  ingest(event: NormalizedEvent): Promise<unknown>;
  log: Logger;
  now?: () => number;
  /**
   * Slack past the heartbeat interval before a panel counts as silent, so a heartbeat sent exactly
   * on its interval and delayed by the network does not raise a false trouble.
   */
  graceMs?: number;
  /** How often changed last-seen times are written (one transaction for all panels). */
  flushMs?: number;
  /**
   * After a restart, a deadline that passed while the service was down waits this long more: live
   * panels need a moment to reconnect, and the service's own outage is not every panel's fault.
   */
  restartGraceMs?: number;
  /** After a supervision trouble or restore is committed (metrics). */
  onRaised?(type: 'trouble' | 'restore', panelId: string): void;
  /** First retry delay of a failed commit (tests shorten it). */
  retryInitialMs?: number;
  /**
   * Issue 16, several nodes: whether this node runs the silence sweep now (it holds the lease
   * `timer:supervision`). Each node hears only the panels the broker's shared subscription gives it,
   * so the sweeping node checks the stored last-seen time (every node saves its own) before it
   * raises a loss, and every node learns stored losses so the next message it hears restores them.
   * Absent: one node, it sweeps.
   */
  sweeps?: () => boolean;
  /** How often a sweeping node that is not the lease holder looks again (default 1 s). */
  standbyMs?: number;
}

/**
 * EN 50136-style supervision of every configured panel. A panel silent past its heartbeat interval,
 * or whose will (`offline`) arrives, raises a `trouble` (reason communication_lost) for its site; its
 * next message raises a `restore`. Last-seen times are stored, so after a restart each deadline is
 * recomputed from the stored time rather than restarted from zero. Event keys are derived from the
 * last-seen time the silence began at, so raising the same loss twice (a crash between the commit and
 * saving the state) is a redelivery the core ignores.
 */
export class SupervisionMaintainer {
  private readonly states = new Map<string, PanelState>();
  private readonly config = new Map<string, SupervisedPanel>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  /** Panels whose restore this node committed since the last flush: their stored loss is cleared. */
  private readonly restored = new Set<string>();
  /**
   * While a trouble or restore is being committed, what the store must still say about the loss:
   * saving the new in-memory state first would lose the event in a crash before its commit.
   */
  private readonly committing = new Map<string, number | undefined>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private stopped = false;
  private startedAt = 0;

  constructor(private readonly deps: SupervisionDeps) {
    this.now = deps.now ?? Date.now;
    for (const p of deps.panels) this.config.set(p.id, p);
  }

  async start(): Promise<void> {
    const stored = new Map((await this.deps.store.loadStates()).map((s) => [s.panelId, s]));
    const t = this.now();
    this.startedAt = t;
    const fresh: PanelState[] = [];
    for (const p of this.config.values()) {
      let s = stored.get(p.id);
      if (!s) {
        // Never seen: supervised from the first start, and that start is stored so a restart keeps it.
        s = { panelId: p.id, lastSeen: undefined, supervisedSince: t, online: false } as PanelState;
        fresh.push(s);
      }
      // Nothing heard since this start yet: online again with its first message.
      s.online = false;
      this.states.set(p.id, s);
      this.schedule(p.id);
    }
    await this.deps.store.saveStates(fresh);
    this.flushTimer = setInterval(() => {
      void this.flush().then(() => {
        if (this.deps.sweeps && !this.stopped)
          return this.learnLosses().catch((err: unknown) =>
            this.deps.log.error({ err }, 'panels: reading stored losses failed'),
          );
      });
    }, this.deps.flushMs ?? 1000);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.flushTimer) clearInterval(this.flushTimer);
    await Promise.all(this.chains.values());
    await this.flushing;
    await this.flush();
  }

  /** Any message from the panel: it is alive. */
  seen(panelId: string): void {
    const s = this.states.get(panelId);
    if (!s) return;
    s.lastSeen = this.now();
    s.online = true;
    this.dirty.add(panelId);
    this.schedule(panelId);
    const lostAt = s.commLostSince;
    if (lostAt !== undefined) {
      s.commLostSince = undefined;
      this.committing.set(panelId, lostAt);
      this.enqueue(panelId, async () => {
        await this.raise(panelId, 'restore', lostAt, 'communication_restored');
        this.committing.delete(panelId);
        this.restored.add(panelId);
        this.dirty.add(panelId);
      });
    }
  }

  heartbeat(panelId: string, hb: { battery?: number | undefined; mains?: boolean | undefined }): void {
    const s = this.states.get(panelId);
    if (!s) return;
    if (hb.battery !== undefined) s.battery = hb.battery;
    if (hb.mains !== undefined) s.mains = hb.mains;
    this.seen(panelId);
  }

  armed(panelId: string, mode: ArmedMode): void {
    const s = this.states.get(panelId);
    if (!s) return;
    s.armed = mode;
    this.dirty.add(panelId);
  }

  /** The panel's will or an explicit `offline`: the path is down now, no need to wait for the timer. */
  offline(panelId: string): void {
    const s = this.states.get(panelId);
    if (!s) return;
    s.online = false;
    this.dirty.add(panelId);
    this.lost(panelId, 'will');
  }

  state(panelId: string): PanelState | undefined {
    const s = this.states.get(panelId);
    return s ? { ...s } : undefined;
  }

  /**
   * The supervised panels at a glance: how many, how many heard from since this start, how many
   * lost now, and the most lost panels whose silences began within `windowMs` of one another
   * (`together`, the first and last of them). Many panels falling silent together are one fault of
   * the network, a carrier or the receiver's own link, not many sites' faults. A panel never heard
   * from is lost since supervision began, not since it fell silent, so it is not counted together.
   */
  counts(windowMs: number): PanelCounts {
    let online = 0;
    const since: number[] = [];
    let lost = 0;
    for (const s of this.states.values()) {
      if (s.online) online++;
      if (s.commLostSince === undefined) continue;
      lost++;
      // A panel never heard from (here, or by the node that raised its loss) has no silence that began.
      if (s.lastSeen !== undefined) since.push(s.commLostSince);
    }
    return { panels: this.config.size, online, lost, ...mostWithin(since, windowMs) };
  }

  /** The panels `counts` found lost together: those whose silences began from `fromMs` to `toMs`. */
  lostBetween(fromMs: number, toMs: number): string[] {
    const out: string[] = [];
    for (const [id, s] of this.states)
      if (
        s.lastSeen !== undefined &&
        s.commLostSince !== undefined &&
        s.commLostSince >= fromMs &&
        s.commLostSince <= toMs
      )
        out.push(id);
    return out;
  }

  /** Whether this node sweeps for silent panels now (always, alone; the lease holder, in a city). */
  sweeping(): boolean {
    return this.deps.sweeps?.() ?? true;
  }

  /** Resolves when every trouble/restore raised so far is committed (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  private schedule(panelId: string): void {
    const s = this.states.get(panelId);
    const p = this.config.get(panelId);
    if (!s || !p || this.stopped) return;
    clearTimeout(this.timers.get(panelId));
    if (s.commLostSince !== undefined) return; // already reported; the next message restores
    const base = s.lastSeen ?? s.supervisedSince ?? this.now();
    const due = base + p.heartbeatSeconds * 1000 + (this.deps.graceMs ?? 2000);
    const deadline = Math.max(due, this.startedAt + (this.deps.restartGraceMs ?? 10_000));
    const timer = setTimeout(() => this.lost(panelId, 'silent'), Math.max(0, deadline - this.now()));
    timer.unref();
    this.timers.set(panelId, timer);
  }

  private lost(panelId: string, why: 'silent' | 'will'): void {
    const s = this.states.get(panelId);
    if (!s || s.commLostSince !== undefined || this.stopped) return;
    if (why === 'silent' && this.deps.sweeps) {
      this.enqueue(panelId, () => this.lostInCluster(panelId));
      return;
    }
    this.raiseLost(panelId, why);
  }

  /** The silence deadline in a cluster: only the sweeping node raises, on the newest stored time. */
  private async lostInCluster(panelId: string): Promise<void> {
    const s = this.states.get(panelId);
    if (!s || s.commLostSince !== undefined || this.stopped) return;
    if (!this.deps.sweeps?.()) {
      const t = setTimeout(() => this.lost(panelId, 'silent'), this.deps.standbyMs ?? 1000);
      t.unref();
      this.timers.set(panelId, t);
      return;
    }
    const [stored] = await this.deps.store.loadStates([panelId]);
    if (stored?.commLostSince !== undefined) {
      // Raised already (by the node that swept before): the next message restores it.
      s.commLostSince = stored.commLostSince;
      return;
    }
    if (stored?.lastSeen !== undefined && (s.lastSeen === undefined || stored.lastSeen > s.lastSeen)) {
      // Another node heard it: not silent.
      s.lastSeen = stored.lastSeen;
      this.schedule(panelId);
      return;
    }
    this.raiseLost(panelId, 'silent');
  }

  /** Stored losses into memory (cluster): whichever node hears the panel next raises its restore. */
  private async learnLosses(): Promise<void> {
    const stored = await this.deps.store.loadLost();
    for (const st of stored) {
      const s = this.states.get(st.panelId);
      if (!s || s.commLostSince !== undefined || this.committing.has(st.panelId)) continue;
      if (st.commLostSince === undefined) continue;
      if (s.lastSeen !== undefined && s.lastSeen > st.commLostSince && s.lastSeen > (st.lastSeen ?? 0)) {
        // Heard here after the loss began: restore now.
        const lostAt = st.commLostSince;
        this.committing.set(st.panelId, lostAt);
        this.enqueue(st.panelId, async () => {
          await this.raise(st.panelId, 'restore', lostAt, 'communication_restored');
          this.committing.delete(st.panelId);
          this.restored.add(st.panelId);
          this.dirty.add(st.panelId);
        });
        continue;
      }
      s.commLostSince = st.commLostSince;
      // When it was last heard, by whichever node heard it (`counts` tells a silence from a panel
      // never heard from by it).
      if (st.lastSeen !== undefined && (s.lastSeen === undefined || st.lastSeen > s.lastSeen))
        s.lastSeen = st.lastSeen;
      clearTimeout(this.timers.get(st.panelId));
    }
  }

  private raiseLost(panelId: string, why: 'silent' | 'will'): void {
    const s = this.states.get(panelId);
    if (!s || s.commLostSince !== undefined || this.stopped) return;
    const since = s.lastSeen ?? s.supervisedSince ?? 0;
    s.commLostSince = since;
    s.online = false;
    clearTimeout(this.timers.get(panelId));
    this.timers.delete(panelId);
    this.committing.set(panelId, undefined);
    this.enqueue(panelId, async () => {
      // Store the last-seen time first: the trouble's key is derived from it.
      await this.deps.store.saveStates([{ ...s, commLostSince: undefined }]);
      await this.raise(panelId, 'trouble', since, 'communication_lost', why);
      this.committing.delete(panelId);
      this.dirty.add(panelId);
      await this.flush();
    });
  }

  private async raise(
    panelId: string,
    type: 'trouble' | 'restore',
    since: number,
    reason: string,
    why?: string,
  ): Promise<void> {
    const p = this.config.get(panelId);
    if (!p) return;
    const at = new Date(this.now()).toISOString();
    const tag = type === 'trouble' ? 'comm-lost' : 'comm-restored';
    const ev: NormalizedEvent = {
      key: eventKey('system', panelId, `${tag}:${since}`),
      source: 'system',
      device: panelId,
      site: p.site,
      type,
      ts: at,
      receivedAt: at,
      detail: {
        reason,
        // Last time heard from, or when supervision began for a panel never heard from.
        silentSince: new Date(since).toISOString(),
        ...(why ? { via: why } : {}),
        heartbeatSeconds: p.heartbeatSeconds,
      },
    };
    this.deps.log.warn({ panelId, site: p.site, type, reason, via: why }, 'panels: supervision');
    // Retried until committed (issue 13): a lost panel must reach an operator even if the store was
    // busy or full for a while. Its key is stable, so a retry that did commit is a redelivery.
    const done = await retryUntilCommitted(() => this.deps.ingest(ev), {
      log: this.deps.log,
      what: { panelId, type, event: ev.key },
      stopped: () => this.stopped,
      ...(this.deps.retryInitialMs !== undefined ? { initialMs: this.deps.retryInitialMs } : {}),
    });
    if (done === undefined) throw new Error(`panels: ${type} of ${panelId} not committed before stop`);
    this.deps.onRaised?.(type, panelId);
  }

  /** Per-panel order: a restore is never committed before the trouble it restores. */
  private enqueue(panelId: string, job: () => Promise<void>): void {
    const prev = this.chains.get(panelId) ?? Promise.resolve();
    const next = prev.then(job).catch((err: unknown) => {
      // The core refused the commit (store down): keep the panel marked lost so the timer does not
      // spin; the next message from it will try the restore path again.
      this.deps.log.error({ err, panelId }, 'panels: supervision event not committed');
    });
    this.chains.set(panelId, next);
    void next.then(() => {
      if (this.chains.get(panelId) === next) this.chains.delete(panelId);
    });
  }

  /** Resolves when the flush in flight (if any) is done. */
  private flushing: Promise<void> = Promise.resolve();

  private async flush(): Promise<void> {
    // One flush at a time: a slow store must not pile up writes of the same panels.
    await this.flushing;
    this.flushing = this.flushNow();
    await this.flushing;
  }

  private async flushNow(): Promise<void> {
    if (this.dirty.size === 0) return;
    const list: PanelState[] = [];
    for (const id of this.dirty) {
      const s = this.states.get(id);
      if (!s) continue;
      list.push(this.committing.has(id) ? { ...s, commLostSince: this.committing.get(id) } : s);
    }
    this.dirty.clear();
    try {
      if (this.deps.sweeps) {
        // Several nodes: only the node that restored a loss clears it in the store.
        const cleared = list.filter((s) => this.restored.has(s.panelId));
        for (const s of cleared) this.restored.delete(s.panelId);
        await this.deps.store.saveStates(cleared);
        await this.deps.store.saveStates(
          list.filter((s) => !cleared.includes(s)),
          { keepLoss: true },
        );
      } else await this.deps.store.saveStates(list);
    } catch (err) {
      // Tolerated: the next flush writes the newer times; supervision runs from memory meanwhile.
      this.deps.log.error({ err }, 'panels: saving panel state failed');
      for (const s of list) this.dirty.add(s.panelId);
    }
  }
}
