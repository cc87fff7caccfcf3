import type { Kysely } from 'kysely';
import type { SchedulesConfig } from '../../config/sections/schedules.js';
import type { Directory } from '../../core/directory.js';
import type { EventCore } from '../../core/event-core.js';
import type { NormalizedEvent } from '../../core/events.js';
import type { Logger } from '../../log.js';
import type { OutboxRow } from '../../outbox/outbox.js';
import type { OutboxSink } from '../../outbox/outbox-dispatcher.js';
import type { DB } from '../../store/db-types.js';
import { disarmExpected, lastClosing, localDate, type SiteHours } from './opening-hours.js';
import type { ScheduleStore } from './schedule-store.js';

/** The fault a missed test report raises on its panel's ticket (a trouble with reason `missed_test`). */
export const MISSED_TEST_FAULT = 'reason:missed_test';
/** Late-to-close is raised for a closing at most this long ago (after a long outage, not for last week). */
const LOOKBACK_MS = 12 * 3600_000;

export interface ScheduleWatchDeps {
  k: Kysely<DB>;
  cfg: SchedulesConfig;
  dir: Directory;
  core: EventCore;
  store: ScheduleStore;
  log: Logger;
  now: () => Date;
}

/**
 * Schedules (issue 17): a disarm outside a site's hours raises `unexpected_opening` (an outbox sink, so
 * a restart misses none); a site still disarmed after closing plus grace raises `late_to_close`; a
 * panel whose `test` report is overdue raises a trouble, and its next test the restore. Each raised
 * event has a key fixed by what caused it, so raising it again after a crash is a redelivery.
 */
export class ScheduleWatch {
  constructor(private readonly deps: ScheduleWatchDeps) {}

  /** `asOf`: with the desk's changes as they stood then (a disarm is judged by the hours it met). */
  async hoursOf(site: string, atMs: number, asOf?: string): Promise<SiteHours | undefined> {
    const { cfg } = this.deps;
    const schedule = cfg.sites[site];
    if (!schedule) return undefined;
    const yesterday = localDate(atMs - 86_400_000, cfg.timezone);
    return {
      tz: cfg.timezone,
      holidays: new Set([...cfg.holidays, ...schedule.holidays]),
      schedule,
      extra: await this.deps.store.changes(this.deps.k, site, yesterday, asOf),
    };
  }

  /** The outbox sink that sees every committed disarm. */
  sink(): OutboxSink {
    return {
      name: 'workflow-schedule',
      durable: true,
      batch: 256,
      handle: async (rows: readonly OutboxRow[]) => {
        for (const row of rows) {
          if (row.topic !== 'event:stored' || row.payload['redelivered'] || row.payload['diverted']) continue;
          const ev = row.payload['event'] as NormalizedEvent;
          if (ev.type !== 'disarm') continue;
          // Judged by the hours as they stood when it arrived, not when this sink got to it: a
          // change the desk makes a moment later does not make an earlier disarm unexpected.
          const at = Date.parse(ev.receivedAt);
          const h = await this.hoursOf(ev.site, at, ev.receivedAt);
          if (!h || disarmExpected(h, at)) continue;
          await this.raise(ev.site, ev.device, 'unexpected_opening', `unexpected-${ev.key}`, {
            disarmedAt: ev.receivedAt,
            disarmEvent: ev.key,
            ...(ev.detail?.['user'] ? { user: ev.detail['user'] } : {}),
          });
        }
      },
    };
  }

  /** One pass over closing times and test timers. */
  async check(): Promise<void> {
    const nowMs = this.deps.now().getTime();
    const states = await this.deps.core.siteStates();
    for (const site of Object.keys(this.deps.cfg.sites)) {
      const h = await this.hoursOf(site, nowMs);
      const closing = h && lastClosing(h, nowMs, LOOKBACK_MS);
      if (closing === undefined) continue;
      const state = states.get(site);
      // Unknown (never armed or disarmed) says nothing; armed since the closing is on time.
      if (!state || state.armed) continue;
      const panel = this.deps.dir.panelsOfSite(site)[0]?.id ?? site;
      await this.raise(site, panel, 'late_to_close', `late-${new Date(closing).toISOString()}`, {
        closedAt: new Date(closing).toISOString(),
        disarmedSince: state.changedAt,
      });
    }
    for (const [panel, timer] of Object.entries(this.deps.cfg.testTimers))
      await this.checkTimer(panel, timer, nowMs);
  }

  private async checkTimer(
    panel: string,
    timer: { everyHours: number; graceMinutes: number },
    nowMs: number,
  ) {
    const { k, store } = this.deps;
    const site = this.deps.dir.panel(panel)?.site;
    if (!site) return;
    const now = new Date(nowMs).toISOString();
    const t = await store.panelTest(k, panel, now);
    const last = await store.lastTest(k, panel);
    if (last) t.lastTestAt = last;
    const from = t.lastTestAt ?? t.watchedSince;
    if (t.missedFor !== undefined && t.lastTestAt && t.lastTestAt > t.missedFor) {
      // The test report came back: the ticket's fault clears.
      await this.raise(site, panel, 'restore', `test-back-${t.lastTestAt}`, { fault: MISSED_TEST_FAULT });
      delete t.missedFor;
    } else if (
      t.missedFor === undefined &&
      nowMs > Date.parse(from) + timer.everyHours * 3600_000 + timer.graceMinutes * 60_000
    ) {
      await this.raise(site, panel, 'trouble', `missed-test-${from}`, {
        reason: 'missed_test',
        lastTestAt: t.lastTestAt ?? null,
        everyHours: timer.everyHours,
      });
      t.missedFor = from;
    }
    await store.savePanelTest(k, panel, t, now);
  }

  private async raise(
    site: string,
    device: string,
    type: NormalizedEvent['type'],
    id: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const at = this.deps.now().toISOString();
    const out = await this.deps.core.ingest({
      key: `system:${device}:${id}`,
      source: 'system',
      device,
      site,
      type,
      ts: at,
      receivedAt: at,
      // Not marked as the workflow's own: a site on test raises none of these.
      detail,
    });
    if (!out.duplicate)
      this.deps.log.info({ site, device, type, incident: out.incident }, 'workflow: schedule event raised');
  }
}
