// The segment index of one camera as the player knows it: windows fetched from
// `/api/recordings/index` (each an audited view), merged, asked again as the playhead moves.

import { api } from '../api.js';

const WINDOW_BEFORE = 20 * 60_000;
const WINDOW_AFTER = 40 * 60_000;

export class SegmentIndex {
  constructor(camera, range) {
    this.camera = camera;
    this.range = range; // {from, to} ms: the player's timeline
    this.segments = new Map(); // id -> {id, start, end, frames, keyframes, url, codec}
    this.sorted = [];
    this.gaps = [];
    this.covered = []; // [from, to] windows already fetched
    this.pending = new Map();
  }

  has(at) {
    const ms = Math.max(this.range.from, Math.min(this.range.to - 1, at));
    return this.covered.some(([a, b]) => ms >= a && ms < b);
  }

  /** Makes sure the index covers `ms` (fetching a window around it once). */
  async ensure(at) {
    // Nothing outside the player's range is asked for (it would be a new audited view each time).
    const ms = Math.max(this.range.from, Math.min(this.range.to - 1, at));
    if (this.has(ms)) return;
    const from = Math.max(this.range.from, ms - WINDOW_BEFORE);
    const to = Math.min(this.range.to, ms + WINDOW_AFTER);
    if (to <= from) return;
    const key = `${from}`;
    if (!this.pending.has(key)) {
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
            this.covered.push([from, to]);
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
