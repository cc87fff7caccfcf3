import type { Gauge } from 'prom-client';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { nextTurn } from '../util/next-turn.js';
import type { Outbox, OutboxRow } from './outbox.js';

/**
 * A consumer of the outbox. `handle` may be called again with rows it has seen (at least once): it
 * must be idempotent. A sink that throws is retried with backoff from the same rows; it never holds
 * up the alarm path or the other sinks.
 */
export interface OutboxSink {
  name: string;
  /**
   * Durable sinks store their cursor and resume after a restart from where they were; the others
   * start at the tail (what they carry is worthless after a restart: live socket pushes).
   */
  durable: boolean;
  /**
   * The sink stores its cursor itself, in the transaction of its own writes (the audit chain): the
   * dispatcher does not store it a second time.
   */
  storesCursor?: boolean;
  /** Rows per call (default 256). */
  batch?: number;
  /**
   * After a batch, the sink reads again no sooner than this (default 0): for a sink whose cost is per
   * batch, not per row (a transaction of its own, a refresh of every incident it touched), so that
   * a busy minute's alarms are taken many at a time instead of one transaction each.
   */
  pauseMs?: number;
  /**
   * Read first, all together, on the turn of the event loop after the commit that woke it: what an
   * operator waits for (the socket rooms). The others follow, one a turn. None is read in the
   * commit's own turn: the sender's acknowledgement is a chain of promise jobs after the commit, and
   * on one thread every query a sink ran among them came before the PUBACK.
   */
  urgent?: boolean;
  /**
   * In a cluster, handled by one node at a time (the holder of the lease `outbox:<name>`), from the
   * shared stored cursor: webhooks, panel acks and audit rows are written once, whichever node
   * committed the change. Sinks without it (the bus relay) run on every node, for its own sockets.
   */
  exclusive?: boolean;
  /** The rows are shared by every sink (one read serves them all): a sink must not change them. */
  handle(rows: readonly OutboxRow[]): Promise<void> | void;
}

/** What the dispatcher needs of the cluster (src/cluster/cluster.ts). */
export interface SinkLeases {
  /** One node alone on its database: no other node ever moves a sink's stored cursor. */
  readonly solo?: boolean;
  holds(name: string): boolean;
  run(name: string, job: { start(): void; stop(): void }): void;
}

/** Where a sink is and whether it keeps up: `OutboxDispatcher.status()`, `/api/health`. */
export interface SinkStatus {
  /** The last row it handled. */
  position: number;
  /** Rows committed after its position: the newest sequence number less its own (so at most). */
  behind: number;
  /** How long the oldest of those rows has waited, in seconds (0 when none). */
  behindSeconds: number;
  /** Batches failed in a row (0: the last one went through). */
  failures: number;
  /** Since when it has been failing (ISO). Why is in the log, not here: health answers anyone. */
  failingSince?: string;
}

interface Running {
  sink: OutboxSink;
  seq: number;
  busy: boolean;
  again: boolean;
  failures: number;
  /** When the first of `failures` failed (ms). */
  failingSince: number | undefined;
  retry: NodeJS.Timeout | undefined;
  /** Not read again before this (`pauseMs` after its last batch), and the timer that kicks it then. */
  restUntil: number;
  rest: NodeJS.Timeout | undefined;
  /** Hurried while a batch was in hand (`hurry`): no pause after it, the next read follows at once. */
  hurried: boolean;
  /** `seq` handled but not yet stored (durable sinks store their cursor at most every `cursorMs`). */
  unsaved: boolean;
}

/**
 * The last rows read, shared by the sinks: after a commit every sink wants the same few rows, and
 * reading (and parsing) them once per sink was most of the dispatcher's cost. Valid for one
 * generation: every wake, poll and poke starts a new one, so a sink never sees less than a read begun
 * after whatever kicked it.
 */
interface SharedRead {
  generation: number;
  after: number;
  limit: number;
  /** In flight or done: the sinks kicked together all ask before the first read has returned. */
  rows: Promise<OutboxRow[]>;
}

/**
 * Runs each sink at its own pace from its own cursor. Woken by `Outbox.wake()` after each commit,
 * and by a poll (rows committed elsewhere, a missed wake).
 */
export class OutboxDispatcher {
  private readonly sinks: Running[] = [];
  private offWake: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private stopped = false;
  private generation = 0;
  private shared: SharedRead | undefined;
  private deferred: NodeJS.Immediate | undefined;
  /** Sinks woken by a commit and not yet kicked: one a turn of the event loop (`kickNextDue`). */
  private readonly due = new Set<Running>();
  /** Urgent sinks woken by a commit: all kicked on the next turn, before any of `due`. */
  private readonly dueFirst = new Set<Running>();
  /** The last turn kicked `dueFirst`: the next serves `due`, so commits every turn starve neither. */
  private firstLast = false;
  private readonly failuresTotal;
  private readonly handled;
  private readonly batchTime;

  constructor(
    private readonly deps: {
      outbox: Outbox;
      log: Logger;
      metrics: Metrics;
      pollMs?: number;
      /**
       * How long a handled batch's cursor may stay unsaved (default 250 ms). Each save is a commit
       * (an fsync); saving after every batch of every sink cost more fsyncs than the alarms
       * themselves under a runaway flood. Sinks are idempotent, so a crash in between only
       * redelivers those rows.
       */
      cursorMs?: number;
      /** Issue 16: the leases exclusive sinks run under (absent: one node, every sink runs here). */
      cluster?: SinkLeases;
    },
  ) {
    const m = deps.metrics;
    m.gaugeCollected(
      'sharpeyes_outbox_lag_rows',
      'Outbox rows committed after a sink’s position, not handled by it yet (at most; the sinks running on this node)',
      ['sink'],
      (g) => this.collectLag(g),
    );
    this.failuresTotal = m.counter(
      'sharpeyes_outbox_sink_failures_total',
      'Outbox sink batches that failed',
      ['sink'],
    );
    this.handled = m.counter('sharpeyes_outbox_rows_handled_total', 'Outbox rows handled', ['sink']);
    // On SQLite a batch runs to its end on the alarm thread: a panic that arrives meanwhile waits for
    // it. Where a sink's batches are long, this shows it (issue 13, stop 32: the paced reports sink
    // held the loop 5–9 ms a batch under a stream of panics).
    this.batchTime = m.histogram(
      'sharpeyes_outbox_sink_batch_seconds',
      'Time a sink took to handle one batch of outbox rows',
      ['sink'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    );
  }

  /** Adds a sink; a sink added after `start` starts at once. */
  async add(sink: OutboxSink): Promise<void> {
    const { outbox } = this.deps;
    const stored = sink.durable ? await outbox.cursor(sink.name) : undefined;
    let seq = stored ?? (await outbox.tail());
    // A durable sink seen for the first time starts at the tail too: history is not replayed into
    // a sink added to an existing installation; from then on its cursor is kept.
    if (sink.durable && stored === undefined) await outbox.saveCursor(sink.name, seq);
    if (!Number.isFinite(seq)) seq = 0;
    const r: Running = {
      sink,
      seq,
      busy: false,
      again: false,
      failures: 0,
      failingSince: undefined,
      retry: undefined,
      restUntil: 0,
      hurried: false,
      rest: undefined,
      unsaved: false,
    };
    this.sinks.push(r);
    if (sink.exclusive && this.deps.cluster)
      this.deps.cluster.run(leaseOf(sink), { start: () => this.kick(r), stop: () => undefined });
    if (this.offWake) this.kick(r);
  }

  start(): void {
    if (this.offWake) return;
    this.offWake = this.deps.outbox.onWake(() => this.kickAll(true));
    this.poll = setInterval(() => this.kickAll(false), this.deps.pollMs ?? 1000);
    this.poll.unref();
    this.kickAll(false);
  }

  /** Reads now without telling anyone (another node committed: see src/realtime/redis-adapter.ts). */
  poke(): void {
    this.kickAll(false);
  }

  /**
   * A new generation of reads, then every sink: `afterCommit` (a local commit's wake) runs them from
   * the next turn on, the urgent ones first and together, then the others one a turn; each once
   * however many commits woke it meanwhile.
   *
   * Why not the urgent ones now: the wake is called between the commit and the promise jobs that
   * carry its PUBACK, and a sink kicked here runs its read and its pushes among those jobs. The
   * socket rooms' read of a new incident came before the panel's PUBACK; deferred, the PUBACK leaves
   * first (issue 13, stop 32: at 32 cameras PUBACK p50 3.88 → 3.36 ms, p99 11.2 → 10.5 ms over four
   * alternating pairs, `incident:new` unchanged).
   */
  private kickAll(afterCommit: boolean): void {
    this.generation++;
    if (!afterCommit) {
      for (const r of this.sinks) this.kick(r);
      return;
    }
    for (const r of this.sinks) (r.sink.urgent ? this.dueFirst : this.due).add(r);
    this.deferred ??= setImmediate(() => this.kickNextDue());
  }

  /**
   * The urgent sinks woken, else one other woken sink; the next on the next turn of the event loop.
   * On SQLite a sink's batch runs to its end without letting the loop take any I/O (better-sqlite3 is
   * synchronous, so every await in it is a promise job): kicked together, the sinks behind one panic
   * held the loop for their sum, and a panic arriving meanwhile waited for all of it. One a turn, it
   * waits for one sink's batch at most (the loop reads its socket between two turns). Under a commit
   * every turn (a flood), the urgent sinks and the others take turns about.
   */
  private kickNextDue(): void {
    this.deferred = undefined;
    const next = this.due.values().next();
    if (this.dueFirst.size > 0 && (!this.firstLast || next.done)) {
      const first = [...this.dueFirst];
      this.dueFirst.clear();
      this.firstLast = true;
      for (const r of first) this.kick(r);
    } else {
      this.firstLast = false;
      if (next.done) return;
      this.due.delete(next.value);
      this.kick(next.value);
    }
    if (this.due.size > 0 || this.dueFirst.size > 0) this.deferred = setImmediate(() => this.kickNextDue());
    // Nothing left: the next commit's urgent sinks go first whatever this turn kicked.
    else this.firstLast = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offWake?.();
    this.offWake = undefined;
    if (this.poll) clearInterval(this.poll);
    if (this.deferred) clearImmediate(this.deferred);
    this.deferred = undefined;
    this.due.clear();
    this.dueFirst.clear();
    for (const r of this.sinks) {
      clearTimeout(r.retry);
      clearTimeout(r.rest);
    }
    // Let a batch in flight finish, then store where every sink got to.
    while (this.sinks.some((r) => r.busy)) await new Promise((res) => setTimeout(res, 5));
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saveCursors();
  }

  /** Stores the cursors of sinks that moved since the last save, all in one transaction. */
  async saveCursors(): Promise<void> {
    while (this.saving) await this.saving;
    const moved = this.sinks.filter((r) => r.unsaved);
    if (moved.length === 0) return;
    for (const r of moved) r.unsaved = false;
    const at = moved.map((r) => [r.sink.name, r.seq] as const);
    this.saving = this.deps.outbox
      .saveCursors(at)
      .catch((err: unknown) => {
        for (const r of moved) r.unsaved = true;
        this.deps.log.error(
          { err, sinks: at.map(([n]) => n) },
          'outbox: storing sink cursors failed; retrying',
        );
        this.scheduleSave();
      })
      .finally(() => {
        this.saving = undefined;
      });
    await this.saving;
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.stopped) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveCursors();
    }, this.deps.cursorMs ?? 250);
    this.saveTimer.unref();
  }

  /** Resolves when every sink has handled everything committed so far (tests, shutdown). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tail = await this.deps.outbox.tail();
      if (this.sinks.every((r) => (r.seq >= tail || !this.mayRun(r)) && !r.busy)) {
        await this.saveCursors();
        return;
      }
      if (Date.now() > deadline) {
        const behind = this.sinks.filter((r) => r.seq < tail).map((r) => `${r.sink.name}@${r.seq}`);
        throw new Error(`outbox: sinks still behind ${tail}: ${behind.join(', ')}`);
      }
      this.kickAll(false);
      await new Promise((res) => setTimeout(res, 5));
    }
  }

  /**
   * Ends `name`'s pause now and reads: someone waits for it (a report on the running month waits for
   * the reports sink, read-your-writes). A sink that is failing keeps its backoff.
   */
  hurry(name: string): void {
    const r = this.sinks.find((x) => x.sink.name === name);
    if (!r || this.stopped) return;
    if (r.rest) clearTimeout(r.rest);
    r.rest = undefined;
    r.restUntil = 0;
    if (r.busy) r.hurried = true;
    this.generation++; // what was read before may be stale
    this.kick(r);
  }

  /** Where each sink is (health, tests). */
  positions(): Record<string, number> {
    return Object.fromEntries(this.sinks.map((r) => [r.sink.name, r.seq]));
  }

  /**
   * Each sink running on this node: how far behind the newest row it is, how long the oldest row it
   * has not handled has waited, and whether it is failing. A sink that fails or stalls never holds
   * up an alarm, so this is where it shows (a webhook receiver down since the night shift, a sink
   * hours behind). Exclusive sinks another node holds are not listed (they run there). One read of
   * the newest sequence number, and one per distinct position behind it, each by the key.
   */
  async status(now = Date.now()): Promise<Record<string, SinkStatus>> {
    const since = new Map<number, Promise<string | undefined>>();
    const out: Record<string, SinkStatus> = {};
    for (const [r, behind] of await this.behind()) {
      let behindSeconds = 0;
      if (behind > 0) {
        if (!since.has(r.seq)) since.set(r.seq, this.deps.outbox.committedAfter(r.seq));
        const at = await since.get(r.seq);
        if (at) behindSeconds = Math.max(0, Math.round((now - Date.parse(at)) / 100) / 10);
      }
      out[r.sink.name] = {
        position: r.seq,
        behind,
        behindSeconds,
        failures: r.failures,
        ...(r.failingSince !== undefined ? { failingSince: new Date(r.failingSince).toISOString() } : {}),
      };
    }
    return out;
  }

  /** The rows each sink running on this node has not handled: one read of the newest sequence number. */
  private async behind(): Promise<Map<Running, number>> {
    const mine = this.sinks.filter((r) => this.mayRun(r));
    const tail = mine.length > 0 ? await this.deps.outbox.tail() : 0;
    return new Map(mine.map((r) => [r, Math.max(0, tail - r.seq)]));
  }

  /** `sharpeyes_outbox_lag_rows` at each scrape. */
  private async collectLag(g: Gauge<'sink'>): Promise<void> {
    let behind: Map<Running, number>;
    try {
      behind = await this.behind();
    } catch {
      return; // the store is closing: the last values stand
    }
    for (const r of this.sinks) {
      const rows = behind.get(r);
      if (rows === undefined) g.remove({ sink: r.sink.name });
      else g.set({ sink: r.sink.name }, rows);
    }
  }

  private kick(r: Running): void {
    if (this.stopped || r.retry) return;
    const wait = r.restUntil - Date.now();
    if (wait > 0) {
      r.rest ??= setTimeout(() => {
        r.rest = undefined;
        this.generation++; // what was read before the pause may be stale
        this.kick(r);
      }, wait);
      r.rest.unref();
      return;
    }
    if (r.busy) {
      r.again = true;
      return;
    }
    r.busy = true;
    r.again = false;
    r.hurried = false;
    void this.drain(r).finally(() => {
      r.busy = false;
      if (r.again) this.kick(r);
    });
  }

  private async drain(r: Running): Promise<void> {
    const { outbox, log } = this.deps;
    const limit = r.sink.batch ?? 256;
    if (!this.mayRun(r)) return;
    if (r.sink.exclusive && this.deps.cluster && !this.deps.cluster.solo) {
      // Another node may have handled rows since this one last held the lease: go on from its cursor.
      try {
        // Never behind what this node handled itself and has not stored yet.
        r.seq = Math.max(r.seq, (await outbox.cursor(r.sink.name)) ?? r.seq);
      } catch (err) {
        log.error({ err, sink: r.sink.name }, 'outbox: reading the shared cursor failed; retrying');
        this.backoff(r);
        return;
      }
    }
    for (;;) {
      if (this.stopped || !this.mayRun(r)) return;
      let rows: OutboxRow[];
      try {
        rows = await this.read(r.seq, limit);
      } catch (err) {
        log.error({ err, sink: r.sink.name }, 'outbox: read failed; retrying');
        this.backoff(r);
        return;
      }
      if (rows.length === 0) {
        // Caught up: whatever failed before (a read) is behind it.
        this.recovered(r);
        return;
      }
      try {
        const took = this.batchTime.startTimer({ sink: r.sink.name });
        await r.sink.handle(rows);
        took();
        r.seq = rows.at(-1)!.seq;
        if (r.sink.durable && !r.sink.storesCursor) {
          r.unsaved = true;
          this.scheduleSave();
        }
        this.recovered(r);
        this.handled.inc({ sink: r.sink.name }, rows.length);
        if (r.sink.pauseMs) r.restUntil = r.hurried ? 0 : Date.now() + r.sink.pauseMs;
      } catch (err) {
        this.failuresTotal.inc({ sink: r.sink.name });
        log.error(
          { err, sink: r.sink.name, from: rows[0]!.seq, to: rows.at(-1)!.seq },
          'outbox: sink failed; the same rows are retried',
        );
        this.backoff(r);
        return;
      }
      if (rows.length < limit) return;
      // Let other work (the alarm path) run between batches of a long catch-up.
      await nextTurn();
    }
  }

  /** The rows after `after`, from the generation's shared read when it covers them. */
  private async read(after: number, limit: number): Promise<OutboxRow[]> {
    const s = this.shared;
    // Begun in this generation, so after whatever kicked this sink.
    if (s && s.generation === this.generation && after >= s.after) {
      const all = await s.rows;
      const from = all.findIndex((row) => row.seq > after);
      const start = from === -1 ? all.length : from;
      const rows = all.slice(start, start + limit);
      // Fewer rows than that read asked for: nothing after them was committed when it ran.
      if (rows.length === limit || all.length < s.limit) return rows;
    }
    const rows = this.deps.outbox.read(after, limit);
    this.shared = { generation: this.generation, after, limit, rows };
    return rows;
  }

  /** An exclusive sink runs only on the node holding its lease. */
  private mayRun(r: Running): boolean {
    const c = this.deps.cluster;
    return !r.sink.exclusive || !c || c.holds(leaseOf(r.sink));
  }

  /** The sink is well again: a batch went through, or it read nothing left to handle. */
  private recovered(r: Running): void {
    r.failures = 0;
    r.failingSince = undefined;
  }

  private backoff(r: Running): void {
    r.failures++;
    r.failingSince ??= Date.now();
    const ms = Math.min(30_000, 100 * 2 ** Math.min(r.failures, 9));
    r.retry = setTimeout(() => {
      r.retry = undefined;
      this.kick(r);
    }, ms);
    r.retry.unref();
  }
}

const leaseOf = (sink: OutboxSink): string => `outbox:${sink.name}`;
