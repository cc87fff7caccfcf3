import { type Generated, type Kysely, sql } from 'kysely';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RecordingHealth } from '../recording/recording-module.js';
import type { DB } from '../store/db-types.js';
import { relaxedTransaction } from '../store/relaxed.js';
import { nextTurn } from '../util/next-turn.js';

declare module '../store/db-types.js' {
  interface DB {
    system_minutes: SystemMinutesTable;
  }
}

/** Migration 113. */
export interface SystemMinutesTable {
  /** Epoch milliseconds the minute starts at. */
  minute: number;
  node: string;
  committed: number;
  wait_p50_ms: number;
  wait_p99_ms: number;
  wait_max_ms: number;
  sinks_failing: number;
  sinks_behind: number;
  sinks_behind_seconds: number;
  loop_p99_ms: number;
  loop_max_ms: number;
  started: number;
  panels: number | null;
  panels_online: number | null;
  cameras: number | null;
  cameras_up: number | null;
  /** Migration 114: recording's own faults (`RecordingHealth`), 0 before it. */
  rec_failing: Generated<number>;
  rec_dropping: Generated<number>;
  storage_short: Generated<number>;
  storage_full: Generated<number>;
}

/** What one node said of one minute: `/api/health` as it stood at the minute's end. */
export interface MinuteSample {
  /** Events made durable in the minute, and how long their senders waited (0 when none). */
  committed: number;
  waitP50Ms: number;
  waitP99Ms: number;
  waitMaxMs: number;
  /** Outbox sinks failing at the minute's end; the most rows one was behind, and its oldest row's wait. */
  sinksFailing: number;
  sinksBehind: number;
  sinksBehindSeconds: number;
  /**
   * How late the alarm thread's event loop ran in the minute (p99 and worst): a stall that holds
   * every panel's PUBACK (a long query, a collection), beyond the decisions' own waits.
   */
  loopP99Ms: number;
  loopMaxMs: number;
  /** The node started in this minute (set by SystemHistory for its first row). */
  started?: boolean;
  /** Absent on a node without panels or cameras. */
  panels?: { panels: number; online: number };
  cameras?: { cameras: number; up: number };
  /** Recording's own faults at the minute's end (absent with recording off). */
  recording?: RecordingHealth;
}

/**
 * One point of the history: the minutes of a step (one minute up to a week's view), every node's
 * rows together. What went wrong in it shows: committed is the step's total over the nodes, the
 * waits and the sinks the worst of the step, panels and cameras online the fewest in any minute.
 */
export interface HistoryPoint {
  /** ISO time the step starts at. */
  at: string;
  /** Minutes with a row in this step (of `stepMinutes` × nodes): fewer means a node was down. */
  minutes: number;
  committed: number;
  waitP50Ms: number;
  waitP99Ms: number;
  waitMaxMs: number;
  sinksFailing: number;
  /** Minutes of the step in which a sink was failing (on any node). */
  sinksFailingMinutes: number;
  sinksBehind: number;
  sinksBehindSeconds: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** Node starts in the step (a restart, or a node joining). */
  starts: number;
  panels: number | null;
  panelsOnline: number | null;
  cameras: number | null;
  camerasUp: number | null;
  /** Cameras whose segment writes failed (summed over the nodes), the step's worst minute. */
  recordingFailing: number;
  /** Minutes of the step in which a camera's writes failed (on any node). */
  recordingFailingMinutes: number;
  /** Cameras that dropped footage (a slow disk), the step's worst minute. */
  recordingDropping: number;
  /** Storage paths short of room, and of those full (everything locked), the step's worst minute. */
  storageShort: number;
  storageFull: number;
}

export interface History {
  from: string;
  to: string;
  stepMinutes: number;
  /** Nodes with at least one row in the range. */
  nodes: string[];
  /** The first minute with a row in the range (ISO), or null: minutes before it are not gaps. */
  first: string | null;
  /**
   * Nodes that joined in the range, with the first minute each ever recorded (ISO), after `first`:
   * before it the node did not exist, so its minutes there are not gaps (服务未运行) either. A node
   * with a row before the range is not here, its minutes from `first` on are due (down when missing).
   */
  joined: Record<string, string>;
  points: HistoryPoint[];
}

export const MINUTE_MS = 60_000;
const DAY_MS = 1440 * MINUTE_MS;
/** A history is read this many minutes at a time (rounded up to whole steps). */
const CHUNK_MINUTES = 120;
/** Points a history answers at most: a week is 336 steps of 30 minutes. */
export const MAX_POINTS = 360;
/** The step a range gets: whole minutes, the smallest of these that keeps it within MAX_POINTS. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 240, 720, 1440];

export function stepFor(rangeMinutes: number): number {
  return STEPS.find((s) => rangeMinutes / s <= MAX_POINTS) ?? STEPS.at(-1)!;
}

/** The `system_minutes` table: one row a node a minute, written once (a second write is ignored). */
export class SystemHistoryStore {
  constructor(private readonly k: Kysely<DB>) {}

  /**
   * Derived data, written again by nothing: a relaxed commit (no fsync of its own on the alarm
   * thread); a power cut may lose the last minute's row, which the next FULL commit otherwise keeps.
   */
  async write(node: string, minute: number, s: MinuteSample): Promise<boolean> {
    const res = await relaxedTransaction(this.k, (tx) =>
      tx
        .insertInto('system_minutes')
        .values({
          minute,
          node,
          committed: s.committed,
          wait_p50_ms: s.waitP50Ms,
          wait_p99_ms: s.waitP99Ms,
          wait_max_ms: s.waitMaxMs,
          sinks_failing: s.sinksFailing,
          sinks_behind: s.sinksBehind,
          sinks_behind_seconds: s.sinksBehindSeconds,
          loop_p99_ms: s.loopP99Ms,
          loop_max_ms: s.loopMaxMs,
          started: s.started ? 1 : 0,
          panels: s.panels?.panels ?? null,
          panels_online: s.panels?.online ?? null,
          cameras: s.cameras?.cameras ?? null,
          cameras_up: s.cameras?.up ?? null,
          rec_failing: s.recording?.camerasFailing ?? 0,
          rec_dropping: s.recording?.camerasDropping ?? 0,
          storage_short: s.recording?.storageShort ?? 0,
          storage_full: s.recording?.storageFull ?? 0,
        })
        .onConflict((oc) => oc.columns(['minute', 'node']).doNothing())
        .executeTakeFirst(),
    );
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Rows of minutes before `before` (epoch ms), every node's; returns how many went. */
  async purge(before: number): Promise<number> {
    const res = await this.k.deleteFrom('system_minutes').where('minute', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /**
   * Minutes from `from` to `to` (epoch ms, `from` inclusive), in steps of `stepMinutes`, every node
   * together. Read two hours at a time (whole steps), a turn of the loop between: on SQLite the
   * reads run on the alarm thread, and a week of 1,440 rows a day read at once held it some 15 ms
   * (bench/system-history.ts), six hours 2 ms; two hours at a time about a millisecond.
   */
  async read(from: number, to: number, stepMinutes: number): Promise<History> {
    const stepMs = stepMinutes * MINUTE_MS;
    // Both are written into the statements: whole numbers only.
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(stepMs))
      throw new RangeError('whole milliseconds');
    const chunkMs = Math.ceil(CHUNK_MINUTES / stepMinutes) * stepMs;
    const points: HistoryPoint[] = [];
    // Each node's first minute: chunks go forward, so its first chunk has it.
    const firsts = new Map<string, number>();
    for (let at = from; at < to; at += chunkMs) {
      if (at > from) await nextTurn();
      const end = Math.min(to, at + chunkMs);
      points.push(...(await this.steps(at, end, stepMs)));
      const nodes = await this.k
        .selectFrom('system_minutes')
        .select((eb) => ['node', eb.fn.min('minute').as('first')])
        .where('minute', '>=', at)
        .where('minute', '<', end)
        .groupBy('node')
        .execute();
      for (const r of nodes) if (!firsts.has(r.node)) firsts.set(r.node, Number(r.first));
    }
    const first = firsts.size ? Math.min(...firsts.values()) : undefined;
    // A node first seen after the range's first minute either joined then or was down since before
    // the range: only its rows before the range tell which.
    const joined: Record<string, string> = {};
    for (const [node, at] of [...firsts].sort(([a], [b]) => a.localeCompare(b)))
      if (first !== undefined && at > first && !(await this.seenBefore(node, from)))
        joined[node] = new Date(at).toISOString();
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      stepMinutes,
      nodes: [...firsts.keys()].sort(),
      first: first === undefined ? null : new Date(first).toISOString(),
      joined,
      points,
    };
  }

  /**
   * Whether `node` has a row before `before`. Looked for a day at a time, newest first, a turn of the
   * loop between: a node that joined has none, and a month of every node's minutes searched at once
   * would hold the alarm thread (on SQLite) as a week read at once did (see read()).
   */
  private async seenBefore(node: string, before: number): Promise<boolean> {
    const oldest = await this.k
      .selectFrom('system_minutes')
      .select((eb) => eb.fn.min('minute').as('minute'))
      .executeTakeFirst();
    const floor = oldest?.minute == null ? before : Number(oldest.minute);
    for (let end = before; end > floor; end -= DAY_MS) {
      const row = await this.k
        .selectFrom('system_minutes')
        .select('minute')
        .where('node', '=', node)
        .where('minute', '<', end)
        .where('minute', '>=', end - DAY_MS)
        .limit(1)
        .executeTakeFirst();
      if (row) return true;
      await nextTurn();
    }
    return false;
  }

  /** The steps of `stepMs` from `from` to `to`, in one grouped read. */
  private async steps(from: number, to: number, stepMs: number): Promise<HistoryPoint[]> {
    // First each minute over the nodes, then each step over its minutes. Every node lists every
    // camera and shows up only those it records (a city shares them out), so cameras up are summed
    // over the nodes; every node sees every panel's supervision, so its count is the nodes' highest.
    const perMinute = this.k
      .selectFrom('system_minutes')
      .select((eb) => [
        // Whole numbers written into the statement, so both databases divide as integers.
        sql<number>`(minute - ${sql.lit(from)}) / ${sql.lit(stepMs)}`.as('step'),
        eb.fn.count<number>('node').as('nodes'),
        eb.fn.sum<number>('committed').as('committed'),
        eb.fn.max('wait_p50_ms').as('p50'),
        eb.fn.max('wait_p99_ms').as('p99'),
        eb.fn.max('wait_max_ms').as('max'),
        eb.fn.sum<number>('sinks_failing').as('failing'),
        eb.fn.max('sinks_behind').as('behind'),
        eb.fn.max('sinks_behind_seconds').as('behind_s'),
        eb.fn.max('loop_p99_ms').as('loop_p99'),
        eb.fn.max('loop_max_ms').as('loop_max'),
        eb.fn.sum<number>('started').as('started'),
        eb.fn.max('panels').as('panels'),
        eb.fn.max('panels_online').as('panels_online'),
        eb.fn.max('cameras').as('cameras'),
        eb.fn.sum<number>('cameras_up').as('cameras_up'),
        eb.fn.sum<number>('rec_failing').as('rec_failing'),
        eb.fn.sum<number>('rec_dropping').as('rec_dropping'),
        eb.fn.sum<number>('storage_short').as('storage_short'),
        eb.fn.sum<number>('storage_full').as('storage_full'),
      ])
      .where('minute', '>=', from)
      .where('minute', '<', to)
      .groupBy('minute');
    const rows = await this.k
      .selectFrom(perMinute.as('m'))
      .select((eb) => [
        'm.step',
        eb.fn.sum<number>('m.nodes').as('minutes'),
        eb.fn.sum<number>('m.committed').as('committed'),
        eb.fn.max('m.p50').as('p50'),
        eb.fn.max('m.p99').as('p99'),
        eb.fn.max('m.max').as('max'),
        eb.fn.max('m.failing').as('failing'),
        eb.fn.sum<number>(sql`CASE WHEN m.failing > 0 THEN 1 ELSE 0 END`).as('failing_minutes'),
        eb.fn.max('m.behind').as('behind'),
        eb.fn.max('m.behind_s').as('behind_s'),
        eb.fn.max('m.loop_p99').as('loop_p99'),
        eb.fn.max('m.loop_max').as('loop_max'),
        eb.fn.sum<number>('m.started').as('starts'),
        eb.fn.max('m.panels').as('panels'),
        eb.fn.min('m.panels_online').as('panels_online'),
        eb.fn.max('m.cameras').as('cameras'),
        eb.fn.min('m.cameras_up').as('cameras_up'),
        eb.fn.max('m.rec_failing').as('rec_failing'),
        eb.fn.sum<number>(sql`CASE WHEN m.rec_failing > 0 THEN 1 ELSE 0 END`).as('rec_failing_minutes'),
        eb.fn.max('m.rec_dropping').as('rec_dropping'),
        eb.fn.max('m.storage_short').as('storage_short'),
        eb.fn.max('m.storage_full').as('storage_full'),
      ])
      .groupBy('m.step')
      .orderBy('m.step')
      .execute();
    const n = (v: unknown) => Number(v ?? 0);
    const orNull = (v: unknown) => (v == null ? null : Number(v));
    return rows.map((r) => ({
      at: new Date(from + Math.floor(n(r.step)) * stepMs).toISOString(),
      minutes: n(r.minutes),
      committed: n(r.committed),
      waitP50Ms: n(r.p50),
      waitP99Ms: n(r.p99),
      waitMaxMs: n(r.max),
      sinksFailing: n(r.failing),
      sinksFailingMinutes: n(r.failing_minutes),
      sinksBehind: n(r.behind),
      sinksBehindSeconds: n(r.behind_s),
      loopP99Ms: n(r.loop_p99),
      loopMaxMs: n(r.loop_max),
      starts: n(r.starts),
      panels: orNull(r.panels),
      panelsOnline: orNull(r.panels_online),
      cameras: orNull(r.cameras),
      camerasUp: orNull(r.cameras_up),
      recordingFailing: n(r.rec_failing),
      recordingFailingMinutes: n(r.rec_failing_minutes),
      recordingDropping: n(r.rec_dropping),
      storageShort: n(r.storage_short),
      storageFull: n(r.storage_full),
    }));
  }
}

/**
 * Writes this node's row at the end of each minute, from what `sample(end)` reads of the minute
 * just ended, and purges rows older than `keepDays` once an hour. The timer runs on the minute's
 * wall clock (a second after it ends), so every node's rows share their minutes. Nothing waits for it:
 * a row that fails to write is logged and counted, and the minute stays a gap.
 */
export class SystemHistory {
  private timer: NodeJS.Timeout | undefined;
  private lastPurge = 0;
  private readonly written;
  private readonly failed;
  private running: Promise<void> | undefined;
  /** The minute this node started in: its row says so. */
  private readonly startMinute: number;

  constructor(
    private readonly deps: {
      store: SystemHistoryStore;
      node: string;
      keepDays: number;
      sample: (minuteEnd: number) => Promise<MinuteSample>;
      log: Logger;
      metrics: Metrics;
      now?: () => number;
    },
  ) {
    this.startMinute = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
    this.written = deps.metrics.counter(
      'sharpeyes_system_minutes_total',
      'Minutes of 系统状态 history written',
    );
    this.failed = deps.metrics.counter(
      'sharpeyes_system_minutes_failed_total',
      'Minutes of 系统状态 history that could not be read or written (a gap in the history)',
    );
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  start(): void {
    if (this.timer) return;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    const now = this.now();
    const next = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + 1000;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
      if (this.timer) this.schedule();
    }, next - now);
    this.timer.unref();
  }

  /** Records the minute that ended last (once), and purges hourly. Exposed for tests. */
  async tick(): Promise<void> {
    const { store, node, keepDays, log } = this.deps;
    const now = this.now();
    const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const minute = end - MINUTE_MS;
    try {
      const sample = await this.deps.sample(end);
      const started = minute === this.startMinute;
      if (await store.write(node, minute, { ...sample, started })) this.written.inc();
    } catch (err) {
      this.failed.inc();
      log.warn({ err, minute: new Date(minute).toISOString() }, 'system history: minute not recorded');
    }
    if (now - this.lastPurge >= 3_600_000) {
      this.lastPurge = now;
      try {
        const purged = await store.purge(end - keepDays * 86_400_000);
        if (purged > 0) log.info({ purged, keepDays }, 'system history: old minutes purged');
      } catch (err) {
        log.warn({ err }, 'system history: purge failed; trying again in an hour');
      }
    }
  }
}
