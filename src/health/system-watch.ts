import type { HealthChecks } from '../api/health-routes.js';
import type { AuditEntry } from '../audit/audit-log.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RecordingHealth } from '../recording/recording-module.js';
import {
  ackNode,
  CITY_WIDE_KINDS,
  cityWide,
  type TroubleAck,
  type TroubleAcks,
  troubleKey,
} from './system-trouble-acks.js';

/** How bad a trouble is: worth a look, or a problem to act on now. */
export type TroubleLevel = 'warn' | 'bad';

/**
 * One thing wrong with the receiver itself, as every desk hears it (`system:status`):
 * - `database`: the database does not answer (nothing can be stored; panels are not acknowledged);
 * - `sink`: an outbox sink (`name`) failing, or its oldest row waiting over a minute;
 * - `wait`: in the last minute, senders waited long for their alarm's durable decision;
 * - `storage`: the recordings' disk short of room (the oldest footage purged early), or full with
 *   everything under evidence locks (nothing new can be written);
 * - `recording`: cameras whose segment writes failed, or that dropped footage, in the last minute;
 * - `panels`: many panels lost communication together (`storage.panelsLostTogether`): the network,
 *   a carrier or the receiver's own link, not each site. Told by one node of a city.
 * - `cameras`: many cameras lost video together (`storage.camerasLostTogether`): the network, a
 *   switch or the receiver's own link. Told by the same node, from every node's stored losses.
 */
export interface SystemTrouble {
  kind: 'database' | 'sink' | 'wait' | 'storage' | 'recording' | 'panels' | 'cameras';
  /** The sink's name, for `sink`. */
  name?: string;
  level: TroubleLevel;
  /** Since when (ISO): when the sink began to fail, else when this node first saw it. */
  since: string;
  /**
   * Figures for the desk's sentence: `failures`, `behind`, `behindSeconds`, `waitP99Ms`, `waitMaxMs`;
   * for `panels` and `cameras` `lost` (together), `of` (all of them), `lostAll` (lost now), `firstAt`
   * (epoch ms of the first one's last message, or last video) and `spanSeconds` (to the last one's).
   */
  figures: Record<string, number>;
  /** Who took charge of it (a supervisor or admin), once someone has. */
  ack?: TroubleAck;
  /**
   * For `panels` and `cameras`: the jurisdiction node most of them are in (its name for the desk's
   * sentence, "集中在北城派出所"), when that narrows it down. Not part of what makes it a new trouble.
   */
  where?: { id: string; name: string };
}

/** What one node says of itself. `level` is its worst trouble's, `ok` with none. */
export interface SystemStatus {
  node: string;
  level: 'ok' | TroubleLevel;
  troubles: SystemTrouble[];
  /** When this was judged (ISO). A desk forgets a node it has not heard from in a while. */
  at: string;
  /**
   * The node is stopping (a graceful stop while it had troubles): desks forget it now rather than
   * show its last troubles until they stop hearing from it. Its troubles did not end; it is gone.
   */
  stopped?: true;
}

/** A sender's wait for its durable decision: p99 over this is worth a look, a worst over the next a problem. */
export const WAIT_WARN_MS = 100;
export const WAIT_BAD_MS = 1000;
/** A sink's oldest unhandled row waiting this long is worth a look before anything failed. */
export const BEHIND_WARN_SECONDS = 60;

type Found = Omit<SystemTrouble, 'since' | 'ack'> & { since?: string };

/**
 * The troubles in what `/api/health` says (`healthChecks`). The same rules as 系统状态's tiles, so a
 * desk's badge and the page agree. A panel or camera offline is not here: each is a site's trouble,
 * raised in the queue by supervision. Many panels or cameras lost together are (as their health
 * judged them, `lostTogetherLevel`): one fault of the network, a carrier or the receiver's own link,
 * which no site can mend.
 */
export function troublesIn(
  ok: boolean,
  checks: HealthChecks,
  placeName: (id: string) => string | undefined = () => undefined,
): Found[] {
  if (!ok) return [{ kind: 'database', level: 'bad', figures: {} }];
  const out: Found[] = [];
  for (const kind of CITY_WIDE_KINDS) {
    const lost = lostTogether(kind, checks[kind], placeName);
    if (lost) out.push(lost);
  }
  const wait = checks.core?.lastMinute;
  if (wait && (wait.waitMaxMs > WAIT_BAD_MS || wait.waitP99Ms > WAIT_WARN_MS))
    out.push({
      kind: 'wait',
      level: wait.waitMaxMs > WAIT_BAD_MS ? 'bad' : 'warn',
      figures: { waitP99Ms: wait.waitP99Ms, waitMaxMs: wait.waitMaxMs, committed: wait.committed },
    });
  const rec = checks['recording'] as RecordingHealth | undefined;
  if (rec && rec.storageShort > 0)
    out.push({
      kind: 'storage',
      level: rec.storageFull > 0 ? 'bad' : 'warn',
      figures: { short: rec.storageShort, full: rec.storageFull },
    });
  if (rec && rec.camerasFailing + rec.camerasDropping > 0)
    out.push({
      kind: 'recording',
      level: rec.camerasFailing > 0 ? 'bad' : 'warn',
      figures: { failing: rec.camerasFailing, dropping: rec.camerasDropping },
    });
  if (checks.outbox === 'error') out.push({ kind: 'database', level: 'bad', figures: {} });
  else
    for (const [name, s] of Object.entries(checks.outbox?.sinks ?? {}))
      if (s.failures > 0 || s.behindSeconds > BEHIND_WARN_SECONDS)
        out.push({
          kind: 'sink',
          name,
          level: s.failures > 0 ? 'bad' : 'warn',
          ...(s.failingSince ? { since: s.failingSince } : {}),
          figures: { failures: s.failures, behind: s.behind, behindSeconds: s.behindSeconds },
        });
  return out;
}

/**
 * Panels or cameras lost together, when their health says they are a trouble (one node of a city
 * judges): how many together, of how many, lost now, and from when over what span.
 */
function lostTogether(
  kind: 'panels' | 'cameras',
  c: HealthChecks['panels'],
  placeName: (id: string) => string | undefined,
): Found | undefined {
  if (!c?.lostTogetherLevel) return undefined;
  const n = c.lostTogether ?? 0;
  const name = c.lostTogetherWhere ? placeName(c.lostTogetherWhere) : undefined;
  const from = c.lostTogetherFrom ? Date.parse(c.lostTogetherFrom) : Number.NaN;
  const to = c.lostTogetherTo ? Date.parse(c.lostTogetherTo) : Number.NaN;
  return {
    kind,
    level: c.lostTogetherLevel,
    ...(c.lostTogetherWhere && name ? { where: { id: c.lostTogetherWhere, name } } : {}),
    figures: {
      lost: n,
      of: (kind === 'panels' ? c.panels : c.cameras) ?? 0,
      lostAll: c.lost ?? n,
      ...(Number.isFinite(from) && Number.isFinite(to)
        ? { firstAt: from, spanSeconds: Math.round((to - from) / 1000) }
        : {}),
    },
  };
}

/** When the first of the devices lost together was lost (ISO), as their health said. */
function firstLoss(f: Found): string | undefined {
  const at = f.figures['firstAt'];
  return typeof at === 'number' && Number.isFinite(at) ? new Date(at).toISOString() : undefined;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

/**
 * Watches this node's health every `everyMs` and tells every desk when something begins or ends to
 * be wrong with the receiver itself (`emit`, at once, and again every `refreshMs` while anything is
 * wrong), so a duty officer on the queue learns that webhooks to 110 fail before anyone opens
 * 系统状态. Each beginning and end is logged. A check that throws counts as the database not
 * answering. Nothing on the alarm path waits for it.
 */
export class SystemWatch {
  private timer: NodeJS.Timeout | undefined;
  /** The checks queued one after another, and how many are waiting. */
  private checks: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private status: SystemStatus;
  private lastEmit = 0;
  private lastAckPurge = Number.NEGATIVE_INFINITY;
  /** Audit entries not yet appended (at most MAX_PENDING_AUDIT; the oldest go first). */
  private readonly pendingAudit: AuditEntry[] = [];
  private readonly gauge;

  constructor(
    private readonly deps: {
      node: string;
      check: () => Promise<{ ok: boolean; checks: HealthChecks }>;
      emit: (status: SystemStatus) => void;
      log: Logger;
      metrics: Metrics;
      /**
       * The audit log's append: each beginning, change of level and end is kept in the hash chain
       * (`system.trouble.begin|level|end`), past the history's days. One that cannot be appended
       * (the database is the trouble) is tried again at the next checks, in order.
       */
      audit?: (entry: AuditEntry) => Promise<unknown>;
      /** Who took charge of which trouble (`POST /api/system/troubles/ack`), read at each check. */
      acks?: Pick<TroubleAcks, 'of'> & Partial<Pick<TroubleAcks, 'purge'>>;
      /**
       * Acknowledgements of troubles that began longer ago than this are forgotten, hourly (this
       * node's troubles as they stand are kept however old). Absent: kept.
       */
      keepAcksDays?: number;
      /** A jurisdiction node's name, for where devices lost together are. */
      placeName?: (id: string) => string | undefined;
      everyMs?: number;
      refreshMs?: number;
      now?: () => number;
    },
  ) {
    this.status = { node: deps.node, level: 'ok', troubles: [], at: new Date(this.now()).toISOString() };
    this.gauge = deps.metrics.gauge(
      'sharpeyes_system_troubles',
      'Troubles of the receiver itself that every desk is shown, by kind and level',
      ['kind', 'level'],
    );
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The last judgement (a desk that connects is told it at once). */
  current(): SystemStatus {
    return this.status;
  }

  start(): void {
    if (this.timer) return;
    // A turn is skipped while a check is queued (a slow database must not pile them up).
    this.timer = setInterval(() => {
      if (this.queued === 0) void this.check().catch(() => undefined);
    }, this.deps.everyMs ?? 5_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checks;
    if (this.status.troubles.length > 0)
      this.deps.emit({
        node: this.deps.node,
        level: 'ok',
        troubles: [],
        at: new Date(this.now()).toISOString(),
        stopped: true,
      });
  }

  /** A check after any running one: the timer's, or at once after an acknowledgement. */
  check(): Promise<SystemStatus> {
    this.queued++;
    const next = this.checks.then(() => this.tick()).finally(() => this.queued--);
    this.checks = next.catch(() => undefined);
    return next;
  }

  /** One check (tests call it directly; the service through `check()`). */
  async tick(): Promise<SystemStatus> {
    const { log, node } = this.deps;
    let found: Found[];
    /** The kinds of devices lost together judged on this node (unknown when health could not be read). */
    let judged: Set<string> | undefined;
    try {
      const { ok, checks } = await this.deps.check();
      found = troublesIn(ok, checks, this.deps.placeName);
      judged = new Set(CITY_WIDE_KINDS.filter((k) => checks[k]?.lostTogether !== undefined));
    } catch (err) {
      log.warn({ err }, 'system watch: health could not be read');
      found = [{ kind: 'database', level: 'bad', figures: {} }];
    }
    const now = this.now();
    const at = new Date(now).toISOString();
    const before = new Map(this.status.troubles.map((t) => [troubleKey(t), t]));
    // One trouble a kind and sink (a database error from both checks is one).
    const byKey = new Map<string, SystemTrouble>();
    for (const f of found) {
      const key = troubleKey(f);
      if (byKey.has(key)) continue;
      const was = before.get(key)?.since;
      // Devices lost together begin when the first of them was lost, not when this node first judged
      // them: the node judging next (the lease moved) tells the same trouble, acknowledged as it was.
      const since = cityWide(f.kind) ? (was ?? firstLoss(f) ?? at) : (f.since ?? was ?? at);
      byKey.set(key, { ...f, since });
    }
    const troubles = [...byKey.values()];
    if (this.deps.acks && troubles.length > 0)
      try {
        for (const [ackAt, these] of groupBy(troubles, (t) => ackNode(node, t.kind))) {
          const acks = await this.deps.acks.of(
            ackAt,
            these.map((t) => ({ key: troubleKey(t), since: t.since })),
          );
          for (const t of these) {
            const ack = acks.get(troubleKey(t));
            if (ack) t.ack = ack;
          }
        }
      } catch (err) {
        // Without the database the acknowledgements stand as last read.
        for (const t of troubles) {
          const was = before.get(troubleKey(t));
          if (was?.ack && was.since === t.since) t.ack = was.ack;
        }
        log.warn({ err }, 'system watch: acknowledgements could not be read');
      }
    let changed = false;
    const audit = (what: 'begin' | 'level' | 'end', t: SystemTrouble) =>
      this.queueAudit({
        actor: 'system',
        action: `system.trouble.${what}`,
        target: `node:${node}`,
        detail: {
          kind: t.kind,
          ...(t.name ? { name: t.name } : {}),
          level: t.level,
          since: t.since,
          ...(what === 'end' ? { until: at } : {}),
          ...(t.where ? { where: t.where.id } : {}),
          figures: t.figures,
        },
      });
    for (const t of troubles) {
      const was = before.get(troubleKey(t));
      if (t.ack && was?.ack?.at !== t.ack.at) {
        changed = true;
        log.info({ trouble: t }, `system trouble taken in charge by ${t.ack.by}: ${describe(t)}`);
      }
      if (was && was.since !== t.since) {
        // Ended and began again between two checks (a sink whose one batch went through, then failed
        // again): a new trouble, told at once, so no desk takes charge of the old start.
        changed = true;
        log.warn({ trouble: t, was: was.since }, `system trouble began again: ${describe(t)}`);
        audit('end', was);
        audit('begin', t);
      } else if (!was || was.level !== t.level) {
        changed = true;
        log.warn({ trouble: t }, `system trouble ${was ? 'now' : 'began'}: ${describe(t)}`);
        audit(was ? 'level' : 'begin', t);
      } else if (
        (t.kind === 'panels' || t.kind === 'cameras') &&
        (was.figures['lost'] !== t.figures['lost'] || was.where?.id !== t.where?.id)
      )
        // The desks' sentence counts the devices lost together: a district's carrier failing street by
        // street is told as it grows, at most once a check (neither logged nor audited: not a new level).
        changed = true;
    }
    for (const [key, t] of before)
      if (!byKey.has(key)) {
        changed = true;
        // Devices lost together no longer judged here (the supervision lease moved): not ended, the
        // next node tells it from now.
        if (cityWide(t.kind) && judged !== undefined && !judged.has(t.kind)) {
          log.info(
            { trouble: t, since: t.since },
            `system trouble judged on another node now: ${describe(t)}`,
          );
          continue;
        }
        log.info({ trouble: t, since: t.since }, `system trouble ended: ${describe(t)}`);
        audit('end', t);
      }
    await this.flushAudit();
    const level = troubles.some((t) => t.level === 'bad') ? 'bad' : troubles.length > 0 ? 'warn' : 'ok';
    this.status = { node, level, troubles, at };
    this.gauge.reset();
    for (const t of troubles) this.gauge.inc({ kind: t.kind, level: t.level });
    if (changed || (level !== 'ok' && now - this.lastEmit >= (this.deps.refreshMs ?? 60_000))) {
      this.lastEmit = now;
      this.deps.emit(this.status);
    }
    await this.purgeAcks(now, troubles, judged !== undefined && judged.size > 0);
    return this.status;
  }

  /**
   * Hourly: forgets acknowledgements older than `keepAcksDays`, except of the troubles standing here;
   * the city's only while this node judges them, another node's only once it is gone
   * (`TroubleAcks.purge`).
   */
  private async purgeAcks(now: number, standing: SystemTrouble[], judging: boolean): Promise<void> {
    const { acks, keepAcksDays, log, node } = this.deps;
    if (!acks?.purge || keepAcksDays === undefined || now - this.lastAckPurge < 3_600_000) return;
    this.lastAckPurge = now;
    try {
      const purged = await acks.purge(
        new Date(now - keepAcksDays * 86_400_000).toISOString(),
        standing.map((t) => ({ node: ackNode(node, t.kind), key: troubleKey(t), since: t.since })),
        { node, judging, aliveSince: now - NODE_GONE_MS },
      );
      if (purged > 0) log.info({ purged, keepAcksDays }, 'system watch: old acknowledgements purged');
    } catch (err) {
      log.warn({ err }, 'system watch: purging old acknowledgements failed; trying again in an hour');
    }
  }

  private queueAudit(entry: AuditEntry): void {
    if (!this.deps.audit) return;
    if (this.pendingAudit.length >= MAX_PENDING_AUDIT) {
      const lost = this.pendingAudit.shift();
      this.deps.log.warn(
        { entry: lost },
        'system watch: audit entry dropped (the database has refused them too long)',
      );
    }
    this.pendingAudit.push(entry);
  }

  /** Appends what is pending, in order; stops at the first refusal and tries again at the next check. */
  private async flushAudit(): Promise<void> {
    const append = this.deps.audit;
    while (append && this.pendingAudit.length > 0) {
      try {
        await append(this.pendingAudit[0]!);
      } catch (err) {
        this.deps.log.warn(
          { err, pending: this.pendingAudit.length },
          'system watch: could not audit a system trouble; trying again at the next check',
        );
        return;
      }
      this.pendingAudit.shift();
    }
  }
}

/**
 * A node that has written no minute of 系统状态's history for this long is gone: its acknowledgements
 * may be forgotten by the others (a node down for maintenance keeps them for its return).
 */
export const NODE_GONE_MS = 86_400_000;

/** Audit entries a watch keeps while the database does not take them (a long outage loses the oldest). */
export const MAX_PENDING_AUDIT = 200;

/** For the log (the desks have their own sentences, in their language). */
function describe(t: SystemTrouble): string {
  if (t.kind === 'database') return 'the database does not answer';
  if (t.kind === 'storage')
    return t.level === 'bad'
      ? 'recording storage full and every segment under an evidence lock: new footage cannot be written'
      : `recording storage short of room on ${t.figures['short']} path(s): the oldest footage is purged early`;
  if (t.kind === 'recording')
    return `recording in the last minute: ${[
      t.figures['failing'] ? `segment writes failed for ${t.figures['failing']} camera(s)` : '',
      t.figures['dropping'] ? `footage dropped for ${t.figures['dropping']} camera(s) (a slow disk)` : '',
    ]
      .filter(Boolean)
      .join(', ')}`;
  if (t.kind === 'wait')
    return `senders waited up to ${t.figures['waitMaxMs']} ms (p99 ${t.figures['waitP99Ms']} ms) for a durable decision in the last minute`;
  if (t.kind === 'panels' || t.kind === 'cameras')
    return `${t.figures['lost']} of ${t.figures['of']} ${t.kind === 'panels' ? 'panels lost communication' : 'cameras lost video'} within ${t.figures['spanSeconds'] ?? 0} s of one another${t.where ? ` (most in ${t.where.id})` : ''}: the network, a carrier or the receiver's own link`;
  return t.level === 'bad'
    ? `outbox sink ${t.name} failing (${t.figures['failures']} batches in a row)`
    : `outbox sink ${t.name} behind ${t.figures['behindSeconds']} s (${t.figures['behind']} rows)`;
}
