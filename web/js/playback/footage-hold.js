// The player's hold on the footage it has open (`/api/recordings/holds`): retention passes over the
// held cameras × window while the page renews it, so the oldest footage (day 29 of 30) is not purged
// from under an investigator reviewing it. The window follows the playhead; the hold is renewed every
// `renewSeconds` the server names while the page is visible (and for a while after it is hidden: a
// report typed in another tab), released when the view closes or moves, and lapses on its own when
// the browser vanishes (the server's 90 s). A forgotten tab holds nothing once hidden for long.

import { api, getToken } from '../api.js';

/** Footage held behind the playhead and ahead of it (the index's windows, with room to play on). */
const BEHIND_MS = 30 * 60_000;
const AHEAD_MS = 90 * 60_000;
/** A page hidden this long stops renewing: its hold lapses (a tab forgotten under others). */
const HIDDEN_GRACE_MS = 10 * 60_000;

export class FootageHold {
  /**
   * @param {{cameras: string[], range: {from: number, to: number}, position: () => number,
   *   onState?: (state: 'held' | 'limit' | 'off', detail?: object) => void}} o
   */
  constructor(o) {
    this.o = o;
    this.id = undefined;
    this.renewMs = 30_000;
    this.closed = false;
    this.hiddenSince = document.hidden ? performance.now() : undefined;
    this.busy = Promise.resolve();
    this.onVisibility = () => {
      this.hiddenSince = document.hidden ? performance.now() : undefined;
      // Back on the page: renewed (or placed again) at once, before the investigator plays on.
      if (!document.hidden) void this.beat();
    };
    this.onPageHide = () => this.release();
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('pagehide', this.onPageHide);
  }

  /** The window to hold around the playhead, inside the player's range. */
  window() {
    const at = this.o.position();
    const from = Math.max(this.o.range.from, at - BEHIND_MS);
    const to = Math.min(this.o.range.to, Math.max(at, from) + AHEAD_MS);
    return { from: new Date(from).toISOString(), to: new Date(Math.max(to, from + 1000)).toISOString() };
  }

  /** Places the hold (resolves once placed or refused: read the index after it). */
  start() {
    return this.beat().then(() => {
      this.timer = setInterval(() => void this.beat(), this.renewMs);
    });
  }

  /** One heartbeat: place the hold, or renew and move it; one at a time. */
  beat() {
    this.busy = this.busy.then(() => this.beatNow());
    return this.busy;
  }

  async beatNow() {
    if (this.closed) return;
    if (this.hiddenSince !== undefined && performance.now() - this.hiddenSince > HIDDEN_GRACE_MS) return;
    const w = this.window();
    try {
      if (this.id) {
        try {
          await api(`/api/recordings/holds/${this.id}`, { method: 'PUT', body: w });
          return;
        } catch (err) {
          // Lapsed (the page slept, the network was gone): placed again below.
          if (err?.code !== 'hold_gone') throw err;
          this.id = undefined;
        }
      }
      const h = await api('/api/recordings/holds', {
        method: 'POST',
        body: { cameras: this.o.cameras, ...w },
      });
      if (this.closed) {
        this.id = h.id;
        this.release();
        return;
      }
      this.id = h.id;
      this.renewMs = Math.max(5, h.renewSeconds ?? 30) * 1000;
      this.o.onState?.('held', h);
    } catch (err) {
      // Tolerated: playback goes on without the hold, and the next heartbeat tries again. The page
      // says when the user keeps too many (other tabs); a hold that lapsed lets retention take
      // footage, which the player then names on the tile instead of stalling.
      console.warn('playback: footage hold not renewed', err);
      this.o.onState?.(err?.code === 'hold_limit' ? 'limit' : 'off', { code: err?.code });
    }
  }

  /** Releases the hold (the view closed or moved); survives the page unloading (`keepalive`). */
  release() {
    const id = this.id;
    this.id = undefined;
    if (!id) return;
    const token = getToken();
    fetch(`/api/recordings/holds/${id}`, {
      method: 'DELETE',
      keepalive: true,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }).catch((err) => console.warn('playback: footage hold not released; it lapses on its own', err));
  }

  close() {
    this.closed = true;
    clearInterval(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('pagehide', this.onPageHide);
    this.release();
  }
}
