import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';

declare module '../store/db-types.js' {
  interface DB {
    system_trouble_acks: SystemTroubleAcksTable;
  }
}

/** Migration 115. */
export interface SystemTroubleAcksTable {
  node: string;
  /** `kind:name` (`sink:webhooks`, `database:`). */
  trouble: string;
  /** When the trouble began (ISO), as the node said. */
  since: string;
  by_user: string;
  by_name: string;
  at: string;
}

/** Who took charge of a trouble, and when. */
export interface TroubleAck {
  by: string;
  byName: string;
  at: string;
}

/** A trouble's key within its node: its kind and, for a sink, the sink's name. */
export const troubleKey = (t: { kind: string; name?: string | undefined }) => `${t.kind}:${t.name ?? ''}`;

/**
 * Devices lost together are the city's, not a node's: one node judges them (the holder of
 * `timer:supervision`), and when that lease moves the same trouble is judged by the next. Their
 * acknowledgements are kept under this node id, so whoever took charge still stands after a handover.
 */
export const CITY_WIDE_NODE = '*';
/** The kinds of trouble that are the city's: devices lost together. */
export const CITY_WIDE_KINDS = ['panels', 'cameras'] as const;
export const cityWide = (kind: string) => (CITY_WIDE_KINDS as readonly string[]).includes(kind);
/** The node an acknowledgement of this trouble is kept under. */
export const ackNode = (node: string, kind: string) => (cityWide(kind) ? CITY_WIDE_NODE : node);

/** `system_trouble_acks`: the first acknowledgement of each trouble (node, key, since) stands. */
export class TroubleAcks {
  constructor(private readonly k: Kysely<DB>) {}

  /**
   * Records `user`'s acknowledgement unless someone's came first; returns the one that stands, or
   * `gone` when the one that came first was purged between this insert and its read (a trouble long
   * over, or a made-up `since`: older than the purge's horizon and standing nowhere).
   */
  async ack(
    node: string,
    trouble: string,
    since: string,
    user: { username: string; displayName: string | null },
    at: string,
  ): Promise<{ ack: TroubleAck; first: boolean; gone?: undefined } | { gone: true }> {
    // The inserted row comes back with the insert: nothing between them for a purge to take.
    const inserted = await this.k
      .insertInto('system_trouble_acks')
      .values({
        node,
        trouble,
        since,
        by_user: user.username,
        by_name: user.displayName ?? user.username,
        at,
      })
      .onConflict((oc) => oc.columns(['node', 'trouble', 'since']).doNothing())
      .returning(['by_user', 'by_name', 'at'])
      .executeTakeFirst();
    const row =
      inserted ??
      (await this.k
        .selectFrom('system_trouble_acks')
        .select(['by_user', 'by_name', 'at'])
        .where('node', '=', node)
        .where('trouble', '=', trouble)
        .where('since', '=', since)
        .executeTakeFirst());
    if (!row) return { gone: true };
    return { ack: { by: row.by_user, byName: row.by_name, at: row.at }, first: inserted !== undefined };
  }

  /** The acknowledgements of `node`'s troubles as they stand (key → ack), each for its beginning. */
  async of(node: string, troubles: { key: string; since: string }[]): Promise<Map<string, TroubleAck>> {
    const out = new Map<string, TroubleAck>();
    if (troubles.length === 0) return out;
    const rows = await this.k
      .selectFrom('system_trouble_acks')
      .select(['trouble', 'since', 'by_user', 'by_name', 'at'])
      .where('node', '=', node)
      .where(
        'trouble',
        'in',
        troubles.map((t) => t.key),
      )
      .execute();
    for (const t of troubles) {
      const r = rows.find((x) => x.trouble === t.key && x.since === t.since);
      if (r) out.set(t.key, { by: r.by_user, byName: r.by_name, at: r.at });
    }
    return out;
  }

  /**
   * Forgets acknowledgements of troubles that began before `before` (ISO), except `keep`: the
   * troubles standing on `scope.node`, however old (each under the node its acknowledgement is kept
   * under). Whose rows it may forget:
   * - `scope.node`'s own;
   * - the city's (`*`) only while `scope.node` judges devices lost together (another node may have
   *   them standing, long as an outage of a month may be);
   * - another node's only once that node has written no minute of 系统状态's history since
   *   `scope.aliveSince` (epoch ms): gone, or an earlier run of a node (a node's id changes with its
   *   process). A node that is up keeps its standing troubles' acknowledgements.
   */
  async purge(
    before: string,
    keep: { node: string; key: string; since: string }[],
    scope: { node: string; judging: boolean; aliveSince: number },
  ): Promise<number> {
    let q = this.k.deleteFrom('system_trouble_acks').where('since', '<', before);
    for (const t of keep)
      q = q.where((eb) =>
        eb.not(eb.and([eb('node', '=', t.node), eb('trouble', '=', t.key), eb('since', '=', t.since)])),
      );
    q = q.where((eb) =>
      eb.or([
        eb('node', '=', scope.node),
        ...(scope.judging ? [eb('node', '=', CITY_WIDE_NODE)] : []),
        eb.and([
          eb('node', '!=', CITY_WIDE_NODE),
          eb(
            'node',
            'not in',
            eb.selectFrom('system_minutes').select('node').where('minute', '>=', scope.aliveSince),
          ),
        ]),
      ]),
    );
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows ?? 0);
  }
}
