import type { Db } from '../store/sqlite.js';

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
}

interface StateRow {
  panel_id: string;
  last_seen: string | null;
  online: number;
  comm_lost_since: string | null;
  armed: string | null;
  battery: number | null;
  mains: number | null;
  supervised_since: string | null;
}

interface CommandRow {
  request_id: string;
  panel_id: string;
  command: string;
  state: string;
  requested_by: string;
  requested_at: string;
  replied_at: string | null;
  error: string | null;
}

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
  };
}

/** SQLite rows of migration 20: panel state and panel commands. */
export class PanelStore {
  private readonly upsert;
  private readonly saveMany;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO panel_state (panel_id, last_seen, online, comm_lost_since, armed, battery, mains,
         supervised_since, updated_at)
       VALUES (@panelId, @lastSeen, @online, @commLostSince, @armed, @battery, @mains, @supervisedSince,
         @updatedAt)
       ON CONFLICT(panel_id) DO UPDATE SET last_seen = excluded.last_seen, online = excluded.online,
         comm_lost_since = excluded.comm_lost_since, armed = excluded.armed, battery = excluded.battery,
         mains = excluded.mains, supervised_since = excluded.supervised_since,
         updated_at = excluded.updated_at`,
    );
    this.saveMany = db.transaction((states: readonly PanelState[]) => {
      const updatedAt = new Date().toISOString();
      for (const s of states) {
        this.upsert.run({
          panelId: s.panelId,
          lastSeen: iso(s.lastSeen),
          online: s.online ? 1 : 0,
          commLostSince: iso(s.commLostSince),
          armed: s.armed ?? null,
          battery: s.battery ?? null,
          mains: s.mains === undefined ? null : s.mains ? 1 : 0,
          supervisedSince: iso(s.supervisedSince),
          updatedAt,
        });
      }
    });
  }

  loadStates(): PanelState[] {
    const rows = this.db.prepare('SELECT * FROM panel_state').all() as StateRow[];
    return rows.map((r) => ({
      panelId: r.panel_id,
      lastSeen: ms(r.last_seen),
      supervisedSince: ms(r.supervised_since),
      online: r.online === 1,
      commLostSince: ms(r.comm_lost_since),
      armed: (r.armed ?? undefined) as ArmedMode | undefined,
      battery: r.battery ?? undefined,
      mains: r.mains === null ? undefined : r.mains === 1,
    }));
  }

  /** One transaction for many panels: heartbeats of a thousand panels are one fsync. */
  saveStates(states: readonly PanelState[]): void {
    if (states.length > 0) this.saveMany(states);
  }

  insertCommand(c: PanelCommand): void {
    this.db
      .prepare(
        `INSERT INTO panel_commands (request_id, panel_id, command, state, requested_by, requested_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(c.requestId, c.panelId, c.command, c.state, c.requestedBy, c.requestedAt);
  }

  /** Moves a pending command to its outcome; false when it was not pending (late or repeated reply). */
  settleCommand(requestId: string, state: CommandState, at: string, error?: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE panel_commands SET state = ?, replied_at = ?, error = ?
           WHERE request_id = ? AND state = 'pending'`,
        )
        .run(state, at, error ?? null, requestId).changes === 1
    );
  }

  getCommand(requestId: string): PanelCommand | undefined {
    const r = this.db.prepare('SELECT * FROM panel_commands WHERE request_id = ?').get(requestId) as
      | CommandRow
      | undefined;
    return r ? toCommand(r) : undefined;
  }

  listCommands(panelId: string, limit = 50): PanelCommand[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM panel_commands WHERE panel_id = ? ORDER BY requested_at DESC, rowid DESC LIMIT ?',
      )
      .all(panelId, limit) as CommandRow[];
    return rows.map(toCommand);
  }

  pendingCommands(): PanelCommand[] {
    const rows = this.db
      .prepare("SELECT * FROM panel_commands WHERE state = 'pending'")
      .all() as CommandRow[];
    return rows.map(toCommand);
  }
}
