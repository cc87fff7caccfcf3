import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { WorkflowConfig } from '../config/sections/workflow.js';
import type { EventCore } from '../core/event-core.js';
import type { NormalizedEvent } from '../core/events.js';
import type { Logger } from '../log.js';
import type { DB } from '../store/db-types.js';
import { SingleFlight } from '../util/single-flight.js';
import type { Runaway, RunawayStore } from './runaway/runaway-store.js';
import type { ScheduleWatch } from './schedules/schedule-watch.js';
import type { StormStore } from './storm/storm-store.js';
import type { TestMode, TestModeStore } from './test-mode/test-mode-store.js';
import { WORKFLOW_MARK } from './workflow-hooks.js';

/** The fault the runaway ticket carries (a trouble with reason `runaway`; see core/faults.ts). */
export const RUNAWAY_FAULT = 'reason:runaway';

export interface MaintainerDeps {
  k: Kysely<DB>;
  core: EventCore;
  audit: AuditLog;
  log: Logger;
  cfg: WorkflowConfig;
  testModes: TestModeStore;
  runaways: RunawayStore;
  schedules: ScheduleWatch;
  storms: StormStore;
  /** How often the schedules are checked (seconds). */
  scheduleSeconds: number;
  now: () => Date;
  /** A site's test mode changed (the console's badge). */
  announce: (site: string, mode: TestMode, started: boolean) => void;
}

/**
 * The workflow's timers, derived from stored times on every tick (like the escalation maintainer), so
 * a restart loses none: test modes whose time ran out are recorded as ended and said so; runaway
 * devices get their installer ticket, their count pushed now and then, and clear when calm; closing
 * times and panel test timers are checked (ScheduleWatch).
 */
export class WorkflowMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private readonly flight = new SingleFlight(
    () => this.pass(),
    (err) => this.deps.log.error({ err }, 'workflow: maintenance pass failed; retried next tick'),
  );
  private readonly pushedAt = new Map<string, number>();

  constructor(private readonly deps: MaintainerDeps) {}

  start(): void {
    const every = Math.min(this.deps.cfg.checkSeconds, this.deps.scheduleSeconds) * 1000;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flight.settled();
  }

  /** One pass (tests call it after moving the clock). Never runs twice at once. */
  tick(): Promise<void> {
    return this.flight.run();
  }

  private async pass(): Promise<void> {
    await this.lapseTestModes();
    for (const r of await this.deps.runaways.pending(this.deps.k)) await this.followRunaway(r);
    await this.releaseStorms();
    await this.deps.schedules.check();
  }

  /** Decides what ended storms held (the storm's end is stored: a restart releases them too). */
  async releaseStorms(): Promise<void> {
    const { k, storms, core } = this.deps;
    for (const storm of await storms.toRelease(k, this.deps.now().toISOString())) {
      for (;;) {
        const held = await storms.held(k, storm.id, 100);
        if (held.length === 0) break;
        // Each decision claims its event (the hooks' `divert`): another node releasing the same storm
        // at once decides each event once, and is told `released` for those it came second to.
        const keys = held.map((ev) => ev.key);
        const outcomes = await storms.releasingThese(keys, () => core.release(held));
        const at = this.deps.now().toISOString();
        for (const [i, ev] of held.entries()) {
          if (outcomes[i]?.diverted === 'released') continue;
          await storms.released(k, ev.key, at, outcomes[i]?.incident ?? outcomes[i]?.diverted ?? 'none');
        }
      }
      if (!(await storms.markReleased(k, storm.id, this.deps.now().toISOString()))) continue;
      await this.deps.audit.append({
        actor: 'system',
        action: 'storm.released',
        target: `jurisdiction:${storm.node}`,
        detail: { id: storm.id, held: await storms.heldCount(k, storm.id) },
      });
    }
  }

  private async lapseTestModes(): Promise<void> {
    const { k, testModes, audit } = this.deps;
    for (const m of await testModes.lapsed(k, this.deps.now().toISOString())) {
      if (!(await testModes.markLapsed(k, m.id))) continue;
      await audit.append({
        actor: 'system',
        action: 'site.test_mode.end',
        target: `site:${m.site}`,
        detail: { id: m.id, panel: m.panel, endedAt: m.endsAt, reason: 'time_up', startedBy: m.by },
      });
      this.deps.log.info(
        { site: m.site, panel: m.panel, endsAt: m.endsAt },
        'workflow: test mode ended by itself',
      );
      this.deps.announce(m.site, { ...m, endedAt: m.endsAt, endedBy: 'system' }, false);
    }
  }

  private systemEvent(r: Runaway, type: 'trouble' | 'restore', what: string): NormalizedEvent {
    const at = this.deps.now().toISOString();
    return {
      // The key is fixed per runaway: a raise repeated after a crash is a redelivery, not a second ticket.
      key: `system:${r.device}:runaway-${r.id}-${what}`,
      source: 'system',
      device: r.device,
      site: r.site,
      type,
      ts: at,
      receivedAt: at,
      detail:
        type === 'trouble'
          ? { reason: 'runaway', since: r.since, [WORKFLOW_MARK]: true }
          : { fault: RUNAWAY_FAULT, [WORKFLOW_MARK]: true },
    };
  }

  private async followRunaway(r: Runaway): Promise<void> {
    const { k, core, runaways, cfg } = this.deps;
    const rw = cfg.runaway;
    if (!r.clearedAt && !r.ticketRaised) {
      await core.ingest(this.systemEvent(r, 'trouble', 'ticket'));
      await runaways.markTicket(k, r.id);
    }
    const now = this.deps.now();
    if (!r.clearedAt) {
      const calmFrom = new Date(now.getTime() - rw.clearSeconds * 1000).toISOString();
      const recent = await runaways.countSince(k, r.device, calmFrom, rw.clearBelowEvents + 1);
      if (r.since <= calmFrom && recent <= rw.clearBelowEvents) {
        if (!(await runaways.clear(k, r.id, now.toISOString()))) return;
        r.clearedAt = now.toISOString();
        this.deps.log.info({ device: r.device, since: r.since }, 'workflow: runaway device calm again');
      } else {
        await this.pushCount(r, now.getTime());
        return;
      }
    }
    // Every node's maintainer follows every runaway: the restore is one event whichever raises it
    // (its key is fixed), and the node that marks it raised pushes the last count, once.
    await core.ingest(this.systemEvent(r, 'restore', 'clear'));
    this.pushedAt.delete(r.id);
    if (!(await runaways.markClearRaised(k, r.id))) return;
    await this.pushCount(r, now.getTime(), true);
  }

  /** The count on the incident, pushed at most every reportSeconds (one update, not one per event). */
  private async pushCount(r: Runaway, nowMs: number, final = false): Promise<void> {
    if (!r.incident) return;
    const last = this.pushedAt.get(r.id) ?? 0;
    if (!final && nowMs - last < this.deps.cfg.runaway.reportSeconds * 1000) return;
    const count = await this.deps.runaways.countSince(
      this.deps.k,
      r.device,
      r.since,
      Number.MAX_SAFE_INTEGER,
    );
    if (count === r.reported && !final) return;
    this.pushedAt.set(r.id, nowMs);
    // The node whose mark lands pushes it (two nodes pushed each count before); the last one, after
    // the clearance mark, is pushed whatever the count.
    if (!(await this.deps.runaways.markReported(this.deps.k, r.id, r.reported, count)) && !final) return;
    r.reported = count;
    await this.deps.core.announce(r.incident, {
      kind: 'workflow',
      what: 'runaway',
      detail: { device: r.device, since: r.since, count, ...(r.clearedAt ? { clearedAt: r.clearedAt } : {}) },
    });
  }
}
