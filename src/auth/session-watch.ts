import type { Logger } from '../log.js';

export type SessionEndReason =
  | 'logout'
  | 'expired'
  | 'disabled'
  | 'revoked'
  | 'password_changed'
  /** An admin changed the user's role or scope: what they may see is decided again at their next login. */
  | 'role_changed';

/** One session (by reference) or every session of a user has ended. */
export type SessionEnd = { reason: SessionEndReason } & ({ ref: string } | { userId: number });

/** An open socket (an `/ops` connection, a `/live` viewer) that must close when its session ends. */
export interface WatchedSocket {
  ref: string;
  userId: number;
  expiresAtMs: number;
  close(reason: SessionEndReason): void;
}

export interface SessionWatchDeps {
  /** Which of these session references are still live (not expired, not deleted, user enabled). */
  liveRefs(refs: readonly string[]): Promise<Set<string>>;
  log: Logger;
  now?: () => number;
  /** Called with each socket closed and why: a metric. */
  onClose?: (reason: SessionEndReason) => void;
}

/**
 * Closes sockets whose session ended. Two paths: `end()`, called in-process the moment this node
 * logs a session out, disables a user or revokes sessions (the same call can later be fed from a
 * Redis channel); and `check()`, run every few seconds, which asks the store about every watched
 * session, so a logout or a disabled user on another node (or by the CLI) closes sockets here too,
 * and an expired session closes on time without a timer per socket.
 */
export class SessionWatch {
  private readonly byRef = new Map<string, Set<WatchedSocket>>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly now: () => number;
  private onClose: ((reason: SessionEndReason) => void) | undefined;

  constructor(private readonly deps: SessionWatchDeps) {
    this.now = deps.now ?? Date.now;
    this.onClose = deps.onClose;
  }

  /** Counts each socket closed, by reason (the auth module's metric). */
  setOnClose(fn: (reason: SessionEndReason) => void): void {
    this.onClose = fn;
  }

  /** Sockets watched now. */
  get size(): number {
    let n = 0;
    for (const set of this.byRef.values()) n += set.size;
    return n;
  }

  /** Watches a socket until the returned function is called (on its own close). */
  add(w: WatchedSocket): () => void {
    let set = this.byRef.get(w.ref);
    if (!set) {
      set = new Set();
      this.byRef.set(w.ref, set);
    }
    set.add(w);
    return () => this.remove(w);
  }

  private remove(w: WatchedSocket): void {
    const set = this.byRef.get(w.ref);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.byRef.delete(w.ref);
  }

  private closeAll(list: WatchedSocket[], reason: SessionEndReason): number {
    for (const w of list) {
      this.remove(w);
      try {
        w.close(reason);
      } catch (err) {
        // One socket failing to close must not keep the others of the session open.
        this.deps.log.warn({ err, reason }, 'auth: closing a socket of an ended session failed');
      }
      this.onClose?.(reason);
    }
    return list.length;
  }

  /** Closes at once every socket of the ended session(s); returns how many. */
  end(e: SessionEnd): number {
    const hit: WatchedSocket[] = [];
    if ('ref' in e) hit.push(...(this.byRef.get(e.ref) ?? []));
    else for (const set of this.byRef.values()) for (const w of set) if (w.userId === e.userId) hit.push(w);
    return this.closeAll(hit, e.reason);
  }

  /** Closes expired sockets, then those whose session the store no longer has. */
  async check(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = (async () => {
      const t = this.now();
      const expired: WatchedSocket[] = [];
      for (const set of this.byRef.values()) for (const w of set) if (w.expiresAtMs <= t) expired.push(w);
      this.closeAll(expired, 'expired');
      const refs = [...this.byRef.keys()];
      if (refs.length === 0) return;
      const live = await this.deps.liveRefs(refs);
      const gone: WatchedSocket[] = [];
      for (const ref of refs) if (!live.has(ref)) gone.push(...(this.byRef.get(ref) ?? []));
      this.closeAll(gone, 'revoked');
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.check().catch((err: unknown) =>
        // The next round tries again; sockets stay open meanwhile, as they would without the check.
        this.deps.log.error({ err }, 'auth: session re-check failed'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
