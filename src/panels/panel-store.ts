import { type Kysely, sql } from 'kysely';
import type { DB } from '../store/db-types.js';

export type ArmedMode = 'away' | 'home' | 'disarmed';

/** What the service knows about a panel; `lastSeen` is epoch ms of the last message of any kind. */
export interface PanelState {
  panelId: string;
  lastSeen: number | undefined;
  /** Epoch ms supervision began for a panel not yet seen: its deadline runs from here. */
  supervisedSince?: number | undefined;
  online: boolean;
  /** Epoch ms of the last-seen time whose silence raised a communication-lost trouble. */
  commLostSince: number | undefined;
  armed: ArmedMode | undefined;
  battery: number | undefined;
  mains: boolean | undefined;
}

export type CommandName = 'arm_away' | 'arm_home' | 'disarm' | 'silence' | 'test';
export type CommandState = 'pending' | 'ok' | 'failed' | 'timeout';

export interface PanelCommand {
  requestId: string;
  panelId: string;
  command: CommandName;
  state: CommandState;
  requestedBy: string;
  requestedAt: string;
  repliedAt?: string;
  error?: string;
  /** After this the panel must not carry it out (sent with the command). */
  expiresAt?: string;
}

type StateRow = DB['panel_state'];
type CommandRow = DB['panel_commands'];

const ms = (iso: string | null) => (iso === null ? undefined : Date.parse(iso));
const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

function toCommand(r: CommandRow): PanelCommand {
  return {
    requestId: r.request_id,
    panelId: r.panel_id,
    command: r.command as CommandName,
    state: r.state as CommandState,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    ...(r.replied_at ? { repliedAt: r.replied_at } : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
  };
}

/**
 * Rows of migration 20 on the data layer: panel state and panel commands. Several nodes write panel
 * state (each hears the heartbeats the broker's shared subscription gives it), so a save never moves
 * `last_seen` back: the newest time any node heard the panel wins.
 */
export class PanelStore {
  constructor(private readonly k: Kysely<DB>) {}

  async loadStates(panelIds?: readonly string[]): Promise<PanelState[]> {
    let q = this.k.selectFrom('panel_state').selectAll();
    if (panelIds) {
      if (panelIds.length === 0) return [];
      q = q.where('panel_id', 'in', panelIds);
    }
    const rows: StateRow[] = await q.execute();
    return rows.map((r) => ({
      panelId: r.panel_id,
      lastSeen: ms(r.last_seen),
      supervisedSince: ms(r.supervised_since),
      online: Number(r.online) === 1,
      commLostSince: ms(r.comm_lost_since),
      armed: (r.armed ?? undefined) as ArmedMode | undefined,
      battery: r.battery ?? undefined,
      mains: r.mains === null ? undefined : Number(r.mains) === 1,
    }));
  }

  /** Panels whose communication loss is stored and not restored (what other nodes raised). */
  async loadLost(): Promise<PanelState[]> {
    const rows = await this.k
      .selectFrom('panel_state')
      .select('panel_id')
      .where('comm_lost_since', 'is not', null)
      .execute();
    return this.loadStates(rows.map((r) => r.panel_id));
  }

  /** One transaction for many panels: heartbeats of a thousand panels are one fsync. */
  async saveStates(states: readonly PanelState[], opts: { keepLoss?: boolean } = {}): Promise<void> {
    if (states.length === 0) return;
    const updatedAt = new Date().toISOString();
    const rows = states.map((s) => ({
      panel_id: s.panelId,
      last_seen: iso(s.lastSeen),
      online: s.online ? 1 : 0,
      comm_lost_since: iso(s.commLostSince),
      armed: s.armed ?? null,
      battery: s.battery ?? null,
      mains: s.mains === undefined ? null : s.mains ? 1 : 0,
      supervised_since: iso(s.supervisedSince),
      updated_at: updatedAt,
    }));
    await this.k.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += 500) {
        await tx
          .insertInto('panel_state')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) =>
            oc.column('panel_id').doUpdateSet({
              // ISO-8601 UTC times order as text, on both databases.
              last_seen: sql`CASE WHEN panel_state.last_seen IS NULL OR excluded.last_seen > panel_state.last_seen THEN excluded.last_seen ELSE panel_state.last_seen END`,
              online: sql`excluded.online`,
              // keepLoss: a node that did not raise or restore a loss never erases one it has not heard of.
              comm_lost_since: opts.keepLoss
                ? sql`CASE WHEN excluded.comm_lost_since IS NULL THEN panel_state.comm_lost_since ELSE excluded.comm_lost_since END`
                : sql`excluded.comm_lost_since`,
              armed: sql`excluded.armed`,
              battery: sql`excluded.battery`,
              mains: sql`excluded.mains`,
              supervised_since: sql`excluded.supervised_since`,
              updated_at: sql`excluded.updated_at`,
            }),
          )
          .execute();
      }
    });
  }

  async insertCommand(c: PanelCommand): Promise<void> {
    await this.k
      .insertInto('panel_commands')
      .values({
        request_id: c.requestId,
        panel_id: c.panelId,
        command: c.command,
        state: c.state,
        requested_by: c.requestedBy,
        requested_at: c.requestedAt,
        replied_at: null,
        error: null,
        expires_at: c.expiresAt ?? null,
      })
      .execute();
  }

  /** Moves a pending command to its outcome; false when it was not pending (late or repeated reply). */
  async settleCommand(requestId: string, state: CommandState, at: string, error?: string): Promise<boolean> {
    const r = await this.k
      .updateTable('panel_commands')
      .set({ state, replied_at: at, error: error ?? null })
      .where('request_id', '=', requestId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async getCommand(requestId: string): Promise<PanelCommand | undefined> {
    const r = await this.k
      .selectFrom('panel_commands')
      .selectAll()
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return r ? toCommand(r) : undefined;
  }

  async listCommands(panelId: string, limit = 50): Promise<PanelCommand[]> {
    const rows = await this.k
      .selectFrom('panel_commands')
      .selectAll()
      .where('panel_id', '=', panelId)
      .orderBy('requested_at', 'desc')
      .orderBy('request_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCommand);
  }

  /** Pending commands past `expiresAt` become `timeout`; returns how many. */
  async expireCommands(now: string, error: string): Promise<number> {
    const r = await this.k
      .updateTable('panel_commands')
      .set({ state: 'timeout', replied_at: now, error })
      .where('state', '=', 'pending')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async pendingCommands(): Promise<PanelCommand[]> {
    const rows = await this.k
      .selectFrom('panel_commands')
      .selectAll()
      .where('state', '=', 'pending')
      .execute();
    return rows.map(toCommand);
  }
}
