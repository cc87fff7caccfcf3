import { randomUUID } from 'node:crypto';
import { stateIsOpen } from '../../store/open-states.js';
import type { Db } from '../db.js';

export interface Runaway {
  id: string;
  device: string;
  site: string;
  since: string;
  incident?: string;
  ticketRaised: boolean;
  /** Events counted at the last push of the count. */
  reported: number;
  clearedAt?: string;
  clearRaised: boolean;
}

type Row = {
  id: string;
  device: string;
  site: string;
  since: string;
  incident_id: string | null;
  ticket_id: string | null;
  ticket_raised: number;
  reported: number;
  cleared_at: string | null;
  clear_raised: number;
};

const toRunaway = (r: Row): Runaway => ({
  id: r.id,
  device: r.device,
  site: r.site,
  since: r.since,
  ...(r.incident_id ? { incident: r.incident_id } : {}),
  ticketRaised: r.ticket_raised === 1,
  reported: r.reported,
  ...(r.cleared_at ? { clearedAt: r.cleared_at } : {}),
  clearRaised: r.clear_raised === 1,
});

/** Runaway devices (`runaways`): onset, the incident their events are counted on, clearance. */
export class RunawayStore {
  async open(db: Db, device: string): Promise<Runaway | undefined> {
    const r = await db
      .selectFrom('runaways')
      .selectAll()
      .where('device', '=', device)
      .where('cleared_at', 'is', null)
      .executeTakeFirst();
    return r ? toRunaway(r) : undefined;
  }

  /** Every runaway device not cleared yet, oldest first. */
  async allOpen(db: Db): Promise<Runaway[]> {
    const rows = await db
      .selectFrom('runaways')
      .selectAll()
      .where('cleared_at', 'is', null)
      .orderBy('since')
      .execute();
    return rows.map(toRunaway);
  }

  async openMany(db: Db, devices: readonly string[]): Promise<Map<string, Runaway>> {
    const out = new Map<string, Runaway>();
    if (devices.length === 0) return out;
    const rows = await db
      .selectFrom('runaways')
      .selectAll()
      .where('device', 'in', devices)
      .where('cleared_at', 'is', null)
      .execute();
    for (const r of rows) out.set(r.device, toRunaway(r));
    return out;
  }

  async begin(db: Db, device: string, site: string, at: string): Promise<Runaway> {
    const row: Row = {
      id: randomUUID(),
      device,
      site,
      since: at,
      incident_id: null,
      ticket_id: null,
      ticket_raised: 0,
      reported: 0,
      cleared_at: null,
      clear_raised: 0,
    };
    await db.insertInto('runaways').values(row).execute();
    return toRunaway(row);
  }

  async setIncident(db: Db, id: string, incident: string): Promise<void> {
    await db.updateTable('runaways').set({ incident_id: incident }).where('id', '=', id).execute();
  }

  async markTicket(db: Db, id: string): Promise<void> {
    await db.updateTable('runaways').set({ ticket_raised: 1 }).where('id', '=', id).execute();
  }

  /**
   * Records `count` as pushed, compared and set on `from` (the count the caller read): false when
   * another node's maintainer pushed first, so each count reaches the desks once.
   */
  async markReported(db: Db, id: string, from: number, count: number): Promise<boolean> {
    const r = await db
      .updateTable('runaways')
      .set({ reported: count })
      .where('id', '=', id)
      .where('reported', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async clear(db: Db, id: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('runaways')
      .set({ cleared_at: at })
      .where('id', '=', id)
      .where('cleared_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** False when another node's maintainer marked it first (and pushes the last count). */
  async markClearRaised(db: Db, id: string): Promise<boolean> {
    const r = await db
      .updateTable('runaways')
      .set({ clear_raised: 1 })
      .where('id', '=', id)
      .where('clear_raised', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Runaways still to follow up: open ones, and cleared ones whose restore is not raised yet. */
  async pending(db: Db): Promise<Runaway[]> {
    const rows = await db
      .selectFrom('runaways')
      .selectAll()
      .where((eb) => eb.or([eb('cleared_at', 'is', null), eb('clear_raised', '=', 0)]))
      .execute();
    return rows.map(toRunaway);
  }

  /** A device's events since `from` (inclusive), counting at most `cap` (an index range scan). */
  async countSince(db: Db, device: string, from: string, cap: number): Promise<number> {
    const r = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('events')
          .select('key')
          .where('device', '=', device)
          .where('received_at', '>=', from)
          .where('source', '!=', 'system')
          .limit(cap)
          .as('recent'),
      )
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** The open incident the device's latest event joined (where its further events are counted). */
  async incidentOfDevice(
    db: Db,
    device: string,
    from: string,
  ): Promise<{ id: string; state: string } | undefined> {
    return db
      .selectFrom('events as e')
      .innerJoin('incident_events as ie', 'ie.event_key', 'e.key')
      .innerJoin('incidents as i', 'i.id', 'ie.incident_id')
      .select(['i.id', 'i.state'])
      .where('e.device', '=', device)
      .where('e.received_at', '>=', from)
      .where(stateIsOpen('i.state'))
      .orderBy('e.received_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async incidentState(db: Db, id: string): Promise<string | undefined> {
    const r = await db.selectFrom('incidents').select('state').where('id', '=', id).executeTakeFirst();
    return r?.state;
  }
}
