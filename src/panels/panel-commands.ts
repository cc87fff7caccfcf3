import { randomUUID } from 'node:crypto';
import {
  commandReplySchema,
  type PanelCommandMessage,
  type PanelCommandName,
} from '../../drivers/mqtt-panel/protocol.js';
import type { Logger } from '../log.js';
import type { PanelCommand, PanelStore } from './panel-store.js';

export interface PanelCommandsDeps {
  store: PanelStore;
  /** Publishes on the panel's command topic at QoS 1, expiring (where the broker can) after `ttlSeconds`. */
  publish(panelId: string, message: PanelCommandMessage, ttlSeconds: number): Promise<void>;
  log: Logger;
  /** A command without a reply after this long is `timeout`. */
  timeoutMs?: number;
  now?: () => number;
  onReject?(panelId: string, reason: string, detail: string): void;
}

/**
 * Commands to panels and their replies: each command is stored `pending` with a requestId, published
 * on the panel's command topic, and settles `ok`/`failed` on the panel's reply or `timeout`.
 */
export class PanelCommands {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private readonly deps: PanelCommandsDeps) {
    this.now = deps.now ?? Date.now;
    this.timeoutMs = deps.timeoutMs ?? 30_000;
  }

  /** Re-arms the timeouts of commands sent before a restart: their replies may still come. */
  async start(): Promise<void> {
    for (const c of await this.deps.store.pendingCommands()) {
      this.arm(c.requestId, Date.parse(c.requestedAt) + this.timeoutMs - this.now());
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  async send(panelId: string, command: PanelCommandName, by: string): Promise<PanelCommand> {
    const t = this.now();
    const cmd: PanelCommand = {
      requestId: randomUUID(),
      panelId,
      command,
      state: 'pending',
      requestedBy: by,
      requestedAt: new Date(t).toISOString(),
      // A command carries its expiry: a panel that reconnects after the timeout must not obey it.
      expiresAt: new Date(t + this.timeoutMs).toISOString(),
    };
    // Stored before it is sent, so a reply can never arrive for a command we do not know.
    await this.deps.store.insertCommand(cmd);
    try {
      await this.deps.publish(
        panelId,
        { command, requestId: cmd.requestId, expiresAt: cmd.expiresAt! },
        Math.ceil(this.timeoutMs / 1000),
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      await this.deps.store.settleCommand(cmd.requestId, 'failed', new Date(this.now()).toISOString(), msg);
      return (await this.deps.store.getCommand(cmd.requestId)) ?? cmd;
    }
    this.arm(cmd.requestId, this.timeoutMs);
    return cmd;
  }

  /** A message on the panel's reply topic. */
  async reply(panelId: string, payload: unknown): Promise<void> {
    const parsed = commandReplySchema.safeParse(payload);
    if (!parsed.success) {
      this.deps.onReject?.(panelId, 'bad_payload', `reply: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return;
    }
    const { requestId, ok, error } = parsed.data;
    const cmd = await this.deps.store.getCommand(requestId);
    if (!cmd || cmd.panelId !== panelId) {
      // A panel may only answer its own commands.
      this.deps.onReject?.(panelId, 'bad_payload', `reply names unknown request ${requestId}`);
      return;
    }
    const at = new Date(this.now()).toISOString();
    if (await this.deps.store.settleCommand(requestId, ok ? 'ok' : 'failed', at, ok ? undefined : error)) {
      clearTimeout(this.timers.get(requestId));
      this.timers.delete(requestId);
    } else {
      this.deps.log.info({ panelId, requestId, state: cmd.state }, 'panels: late reply to a settled command');
    }
  }

  get(requestId: string): Promise<PanelCommand | undefined> {
    return this.deps.store.getCommand(requestId);
  }

  list(panelId: string, limit?: number): Promise<PanelCommand[]> {
    return this.deps.store.listCommands(panelId, limit);
  }

  /**
   * Settles every pending command past its expiry as `timeout`, whichever node sent it: the sweep
   * the cluster's lease holder runs, so a command whose node died still ends. The UPDATE only moves
   * `pending` rows, so a reply or another sweep racing it settles each command once.
   */
  async expireDue(): Promise<number> {
    const at = new Date(this.now()).toISOString();
    const n = await this.deps.store.expireCommands(at, 'no reply from the panel');
    if (n > 0) this.deps.log.warn({ commands: n }, 'panels: commands timed out');
    return n;
  }

  private arm(requestId: string, delayMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(requestId);
        const at = new Date(this.now()).toISOString();
        this.deps.store
          .settleCommand(requestId, 'timeout', at, 'no reply from the panel')
          .then((settled) => {
            if (settled) this.deps.log.warn({ requestId }, 'panels: command timed out');
          })
          .catch((err: unknown) =>
            this.deps.log.error(
              { err, requestId },
              'panels: could not settle a timed-out command; the sweep will',
            ),
          );
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    this.timers.set(requestId, timer);
  }
}
