// The segment index of one camera as the player knows it: windows fetched from
// `/api/recordings/index` (each an audited view), merged, asked again as the playhead moves.

import { api } from '../api.js';

const WINDOW_BEFORE = 20 * 60_000;
const WINDOW_AFTER = 40 * 60_000;
/**
 * A window fetched near the present is complete only up to its newest segment: the camera goes on
 * recording after the fetch. Past that edge the window is asked again once it is this old while
 * playing (each ask is an audited view), and a second old when the investigator seeks there.
 */
const EDGE_RECHECK_MS = 10_000;
export const SEEK_RECHECK_MS = 1_000;
/** A window ending this long before its fetch is history: segments are cut within a minute. */
const SETTLED_MS = 10 * 60_000;

export class SegmentIndex {
  constructor(camera, range) {
    this.camera = camera;
    this.range = range; // {from, to} ms: the player's timeline
    this.segments = new Map(); // id -> {id, start, end, frames, keyframes, url, codec}
    this.sorted = [];
    this.gaps = [];
    this.covered = []; // {from, to, edge, at}: windows fetched, complete up to `edge`, fetched at `at`
    this.pending = new Map();
    // The stretch retention has purged of this camera, as wide as any answer said (it only grows).
    this.purged = { from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
  }

  /** Whether the index knows `ms`: fetched, and either settled or asked less than `maxAgeMs` ago. */
  has(at, maxAgeMs = EDGE_RECHECK_MS) {
    const ms = Math.max(this.range.from, Math.min(this.range.to - 1, at));
    const now = Date.now();
    return this.covered.some((w) => ms >= w.from && ms < w.to && (ms < w.edge || now - w.at < maxAgeMs));
  }

  /**
   * Makes sure the index covers `ms`: a window around it is fetched once, and again past its newest
   * segment when that answer is older than `maxAgeMs` (footage recorded since).
   */
  async ensure(at, maxAgeMs = EDGE_RECHECK_MS) {
    // Nothing outside the player's range is asked for (it would be a new audited view each time).
    const ms = Math.max(this.range.from, Math.min(this.range.to - 1, at));
    if (this.has(ms, maxAgeMs)) return;
    const from = Math.max(this.range.from, ms - WINDOW_BEFORE);
    const to = Math.min(this.range.to, ms + WINDOW_AFTER);
    if (to <= from) return;
    const key = `${from}`;
    if (!this.pending.has(key)) {
      const asked = Date.now();
      const q = new URLSearchParams({
        camera: this.camera,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      });
      this.pending.set(
        key,
        api(`/api/recordings/index?${q}`)
          .then((res) => {
            for (const s of res.segments) this.segments.set(s.id, s);
            this.sorted = [...this.segments.values()].sort((a, b) => a.start - b.start);
            const gaps = new Map(this.gaps.map((g) => [`${g.start}`, g]));
            for (const g of res.gaps) gaps.set(`${g.start}`, g);
            this.gaps = [...gaps.values()].sort((a, b) => a.start - b.start);
            const r = res.retention;
            if (r?.purgedFrom != null && r?.purgedUntil != null)
              this.purged = {
                from: Math.min(this.purged.from, r.purgedFrom),
                to: Math.max(this.purged.to, r.purgedUntil),
              };
            // Complete up to its newest segment or gap, unless it ended long before it was asked.
            let edge = to <= asked - SETTLED_MS ? to : from;
            for (const x of [...res.segments, ...res.gaps]) edge = Math.max(edge, Math.min(to, x.end));
            this.covered.push({ from, to, edge, at: asked });
          })
          .finally(() => this.pending.delete(key)),
      );
    }
    await this.pending.get(key);
  }

  /** The segment holding `ms`, or undefined (a gap, or not recorded). */
  at(ms) {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sorted[mid];
      if (ms < s.start) hi = mid - 1;
      else if (ms >= s.end) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** The first segment starting after `ms`, or undefined. */
  after(ms) {
    return this.sorted.find((s) => s.start > ms);
  }

  /** The last segment ending at or before `ms`, or undefined. */
  before(ms) {
    for (let i = this.sorted.length - 1; i >= 0; i--) if (this.sorted[i].end <= ms) return this.sorted[i];
    return undefined;
  }

  next(seg) {
    const i = this.sorted.indexOf(seg);
    return i >= 0 ? this.sorted[i + 1] : undefined;
  }

  /** The recorded gap holding `ms` (with its reason), if the recorder wrote one. */
  gapAt(ms) {
    return this.gaps.find((g) => ms >= g.start && ms < g.end);
  }

  /**
   * Whether `ms` is footage retention purged before the index was read: no segment and no recorder's
   * gap there, inside the camera's purged stretch (outside it, the camera recorded nothing).
   */
  purgedAt(ms) {
    return ms >= this.purged.from && ms < this.purged.to && !this.at(ms) && !this.gapAt(ms);
  }

  /** Wall time of the last keyframe strictly before `ms` (for reverse play and keyframe steps). */
  keyframeBefore(ms) {
    let best;
    for (const s of this.sorted) {
      if (s.start >= ms) break;
      for (const k of s.keyframes) {
        const t = s.start + k;
        if (t < ms - 1) best = t;
      }
    }
    return best;
  }

  keyframeAfter(ms) {
    for (const s of this.sorted) {
      if (s.end <= ms) continue;
      for (const k of s.keyframes) if (s.start + k > ms + 1) return s.start + k;
    }
    return undefined;
  }

  /** Frames per second of the segment at `ms` (from its frame count), default 25. */
  fpsAt(ms) {
    const s = this.at(ms) ?? this.before(ms);
    return s?.frames ? s.frames / ((s.end - s.start) / 1000) : 25;
  }
}
