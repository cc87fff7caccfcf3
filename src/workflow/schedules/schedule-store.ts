import { randomUUID } from 'node:crypto';
import type { Db } from '../db.js';
import type { HoursChange } from './opening-hours.js';

export interface PanelTest {
  lastTestAt?: string;
  watchedSince: string;
  missedFor?: string;
}

/** Desk changes to opening hours (`schedule_changes`) and each panel's test timer (`panel_tests`). */
export class ScheduleStore {
  /**
   * The desk's changes to a site's hours that reach `fromDate` or later: those in force now, or with
   * `asOf` (an ISO time), those that were in force then (made by then, not yet deleted).
   */
  async changes(
    db: Db,
    site: string,
    fromDate: string,
    asOf?: string,
  ): Promise<(HoursChange & { id: string; reason: string; by: string })[]> {
    let q = db
      .selectFrom('schedule_changes')
      .selectAll()
      .where('site', '=', site)
      .where('to_date', '>=', fromDate);
    q =
      asOf === undefined
        ? q.where('deleted_at', 'is', null)
        : q
            .where('at', '<=', asOf)
            .where((eb) => eb.or([eb('deleted_at', 'is', null), eb('deleted_at', '>', asOf)]));
    const rows = await q.orderBy('at').execute();
    return rows.map((r) => ({
      id: r.id,
      from: r.from_date,
      to: r.to_date,
      hours: r.hours,
      reason: r.reason,
      by: r.by_user,
    }));
  }

  async addChange(
    db: Db,
    c: { site: string; from: string; to: string; hours: string; reason: string; by: string; at: string },
  ): Promise<string> {
    const id = randomUUID();
    await db
      .insertInto('schedule_changes')
      .values({
        id,
        site: c.site,
        from_date: c.from,
        to_date: c.to,
        hours: c.hours,
        reason: c.reason,
        by_user: c.by,
        at: c.at,
        deleted_at: null,
      })
      .execute();
    return id;
  }

  /** Marks a desk change deleted (kept for the audit trail); false when it was not live. */
  async deleteChange(db: Db, site: string, id: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('schedule_changes')
      .set({ deleted_at: at })
      .where('id', '=', id)
      .where('site', '=', site)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The panel's timer; started now when the panel was never watched. */
  async panelTest(db: Db, panel: string, now: string): Promise<PanelTest> {
    const r = await db.selectFrom('panel_tests').selectAll().where('panel', '=', panel).executeTakeFirst();
    if (r)
      return {
        watchedSince: r.watched_since,
        ...(r.last_test_at ? { lastTestAt: r.last_test_at } : {}),
        ...(r.missed_for ? { missedFor: r.missed_for } : {}),
      };
    await db
      .insertInto('panel_tests')
      .values({ panel, last_test_at: null, watched_since: now, missed_for: null, updated_at: now })
      .onConflict((oc) => oc.column('panel').doNothing())
      .execute();
    return { watchedSince: now };
  }

  async savePanelTest(db: Db, panel: string, t: PanelTest, now: string): Promise<void> {
    await db
      .updateTable('panel_tests')
      .set({ last_test_at: t.lastTestAt ?? null, missed_for: t.missedFor ?? null, updated_at: now })
      .where('panel', '=', panel)
      .execute();
  }

  /** When the panel last sent a `test` report (the events table is the record). */
  async lastTest(db: Db, panel: string): Promise<string | undefined> {
    const r = await db
      .selectFrom('events')
      .select('received_at')
      .where('device', '=', panel)
      .where('type', '=', 'test')
      .orderBy('received_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r?.received_at;
  }
}
