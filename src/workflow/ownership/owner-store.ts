import { stateIsOpen } from '../../store/open-states.js';
import { prepare } from '../../store/prepared.js';
import type { Db } from '../db.js';

/** Asked for every new incident, on the alarm path: compiled once (src/store/prepared.ts). */
const SITE_HOLDER = prepare<{ site: string; except: string }>()((k, p) =>
  k
    .selectFrom('incident_owners as o')
    .innerJoin('incidents as i', 'i.id', 'o.incident_id')
    .select(['o.owner'])
    .where('i.site', '=', p('site'))
    .where('i.kind', '=', 'alarm')
    .where(stateIsOpen('i.state'))
    .where('i.id', '!=', p('except'))
    .where('o.released_at', 'is', null)
    .orderBy('o.since', 'desc')
    .limit(1),
);

const HOLDERS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k
    .selectFrom('incident_owners')
    .select(['incident_id', 'owner', 'since', 'via'])
    .where('incident_id', 'in', p('ids'))
    .where('released_at', 'is', null),
);

export interface Owner {
  username: string;
  since: string;
  /** take, takeover, site (followed the site's held alarm), ack. */
  via: string;
}

/** Who holds each incident (`incident_owners`: the row not released is the holder). */
export class OwnerStore {
  async holders(db: Db, ids: readonly string[]): Promise<Map<string, Owner>> {
    const out = new Map<string, Owner>();
    if (ids.length === 0) return out;
    const rows = await HOLDERS.all(db, { ids });
    for (const r of rows) out.set(r.incident_id, { username: r.owner, since: r.since, via: r.via });
    return out;
  }

  async holder(db: Db, id: string): Promise<Owner | undefined> {
    return (await this.holders(db, [id])).get(id);
  }

  /** Releases the current holder (if any) and makes `username` the holder. */
  async take(db: Db, id: string, username: string, via: string, at: string): Promise<void> {
    await this.release(db, id, username, at);
    await db
      .insertInto('incident_owners')
      .values({ incident_id: id, owner: username, since: at, via, released_at: null, released_by: null })
      .execute();
  }

  async release(db: Db, id: string, by: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('incident_owners')
      .set({ released_at: at, released_by: by })
      .where('incident_id', '=', id)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The holder of the site's open alarm held most recently (new alarms of the site follow it). */
  async siteHolder(db: Db, site: string, except: string): Promise<string | undefined> {
    return (await SITE_HOLDER.first(db, { site, except }))?.owner;
  }
}
