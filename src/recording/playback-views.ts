import { randomUUID } from 'node:crypto';

/** An audited opening of one camera's footage over a range, by one user. */
export interface PlaybackView {
  id: string;
  username: string;
  camera: string;
  fromMs: number;
  toMs: number;
  expiresAt: number;
}

/**
 * Playback views: the player asks for a range's segment index, which is audited (`footage.view`) and
 * returns a view id; each segment is then fetched with that id. A segment outside every view of its
 * user is refused, so footage is only ever served inside an audited view, without an audit row per
 * 4 s segment. Kept in memory: a restart ends every view, and the player simply asks again.
 */
export class PlaybackViews {
  private readonly views = new Map<string, PlaybackView>();

  constructor(
    private readonly ttlMs = 2 * 3_600_000,
    private readonly max = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  open(v: Omit<PlaybackView, 'id' | 'expiresAt'>): PlaybackView {
    const t = this.now();
    if (this.views.size >= this.max) {
      for (const [id, x] of this.views) if (x.expiresAt <= t) this.views.delete(id);
      // Still full: the oldest view goes (Map keeps insertion order).
      while (this.views.size >= this.max) this.views.delete(this.views.keys().next().value as string);
    }
    const view = { ...v, id: randomUUID(), expiresAt: t + this.ttlMs };
    this.views.set(view.id, view);
    return view;
  }

  /** Whether `id` is a live view of `username`'s (whatever it covers). */
  owns(id: string, username: string): boolean {
    const v = this.views.get(id);
    return v !== undefined && v.expiresAt > this.now() && v.username === username;
  }

  /** The view, when it is live, belongs to `username` and covers `[startMs, endMs)` of `camera`. */
  allows(id: string, username: string, camera: string, startMs: number, endMs: number): boolean {
    const v = this.views.get(id);
    if (!v) return false;
    if (v.expiresAt <= this.now()) {
      this.views.delete(id);
      return false;
    }
    return v.username === username && v.camera === camera && startMs < v.toMs && endMs > v.fromMs;
  }
}
