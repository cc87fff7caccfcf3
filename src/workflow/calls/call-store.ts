import { prepare } from '../../store/prepared.js';
import type { Db } from '../db.js';

/** Read with every push of an incident (src/store/prepared.ts). */
const CALLS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k.selectFrom('incident_calls').selectAll().where('incident_id', 'in', p('ids')).orderBy('seq'),
);

export const CALL_RESULTS = ['reached', 'no_answer', 'busy', 'wrong_number'] as const;
export type CallResult = (typeof CALL_RESULTS)[number];

export interface CallRecord {
  contact: number;
  name: string;
  phone: string;
  role?: string;
  result: CallResult;
  note?: string;
  by: string;
  at: string;
}

/** Calls made down a site's call list for an incident (`incident_calls`), oldest first. */
export class CallStore {
  async add(db: Db, id: string, c: CallRecord): Promise<void> {
    await db
      .insertInto('incident_calls')
      .values({
        incident_id: id,
        contact: c.contact,
        name: c.name,
        phone: c.phone,
        role: c.role ?? null,
        result: c.result,
        note: c.note ?? null,
        by_user: c.by,
        at: c.at,
      })
      .execute();
  }

  async many(db: Db, ids: readonly string[]): Promise<Map<string, CallRecord[]>> {
    const out = new Map<string, CallRecord[]>();
    if (ids.length === 0) return out;
    const rows = await CALLS.all(db, { ids });
    for (const r of rows) {
      const list = out.get(r.incident_id) ?? [];
      list.push({
        contact: r.contact,
        name: r.name,
        phone: r.phone,
        ...(r.role ? { role: r.role } : {}),
        result: r.result as CallResult,
        ...(r.note ? { note: r.note } : {}),
        by: r.by_user,
        at: r.at,
      });
      out.set(r.incident_id, list);
    }
    return out;
  }
}
