// One camera's player: recorded segments, fetched as they are, placed on a wall-clock timeline with
// Media Source Extensions. Media time t of the <video> is wall clock `origin + t`: a segment starting
// at wall time S is appended with timestampOffset S - origin (its own timestamps start at zero), so a
// gap in the recording is a gap in the buffer, never a frozen frame, and seeking anywhere is one
// fetch of the segment holding that moment: no transcoding, no concatenation on the server.

import { fetchMedia } from './media.js';
import { SegmentIndex } from './segment-index.js';

const AHEAD_S = 20; // seconds of footage kept loaded ahead of the playhead, at 1x
const BEHIND_S = 60; // seconds kept behind (stepping back, reverse)
const MAX_AHEAD_SEGMENTS = 24;
/**
 * What a segment fetch answers when the footage the index listed is gone: `purged` (retention took it
 * since the index was read), `no_file` (its file was deleted by hand or lost to a disk fault), and
 * `not_found` (gone from the index, as an older server says it).
 */
const GONE = new Set(['purged', 'no_file', 'not_found']);

export class CameraPlayer {
  /**
   * @param {{camera: string, range: {from: number, to: number}, video: HTMLVideoElement,
   *   onState?: (state: string, detail?: object) => void,
   *   onGone?: (seg: object, code: string) => void}} o
   */
  constructor(o) {
    this.camera = o.camera;
    this.range = o.range;
    this.origin = o.range.from;
    this.video = o.video;
    this.onState = o.onState ?? (() => {});
    this.onGone = o.onGone ?? (() => {});
    this.gone = new Map(); // segment id -> why its footage is gone (a GONE code)
    this.index = new SegmentIndex(o.camera, o.range);
    this.loaded = new Map(); // segment id -> segment, appended to the buffer
    this.stuck = undefined; // {at, since}: where the playhead stood still short of its footage's end
    this.loading = new Map(); // segment id -> promise
    this.ops = Promise.resolve();
    this.state = 'idle';
    this.codec = undefined;
    this.ms = new MediaSource();
    this.opened = new Promise((resolve) =>
      this.ms.addEventListener(
        'sourceopen',
        () => {
          this.ms.duration = (this.range.to - this.range.from) / 1000;
          resolve();
        },
        { once: true },
      ),
    );
    this.url = URL.createObjectURL(this.ms);
    this.video.src = this.url;
  }

  toMedia(ms) {
    return (ms - this.origin) / 1000;
  }

  toWall(t) {
    return this.origin + t * 1000;
  }

  /** Wall clock of what the video shows now. */
  wallNow() {
    return this.toWall(this.video.currentTime);
  }

  setState(state, detail) {
    if (this.state === state && !detail) return;
    this.state = state;
    this.onState(state, detail);
  }

  /** Runs SourceBuffer work one at a time (an append or remove must finish before the next). */
  enqueue(fn) {
    const run = this.ops.then(fn);
    this.ops = run.catch(() => undefined);
    return run;
  }

  waitIdle(sb) {
    return sb.updating
      ? new Promise((resolve, reject) => {
          sb.addEventListener('updateend', () => resolve(), { once: true });
          sb.addEventListener('error', () => reject(new Error('source buffer error')), { once: true });
        })
      : Promise.resolve();
  }

  async sourceBuffer(codec) {
    await this.opened;
    if (!this.sb) {
      if (!MediaSource.isTypeSupported(codec)) throw Object.assign(new Error(codec), { code: 'codec' });
      this.sb = this.ms.addSourceBuffer(codec);
      this.sb.mode = 'segments';
      this.codec = codec;
    } else if (codec !== this.codec && this.sb.changeType) {
      await this.waitIdle(this.sb);
      this.sb.changeType(codec);
      this.codec = codec;
    }
    return this.sb;
  }

  /** Fetches and appends one segment (once). */
  load(seg) {
    if (this.loaded.has(seg.id)) return Promise.resolve();
    let p = this.loading.get(seg.id);
    if (p) return p;
    p = (async () => {
      const data = await fetchMedia(seg.url).catch((err) => {
        if (GONE.has(err?.code) && !this.gone.has(seg.id)) {
          this.gone.set(seg.id, err.code);
          this.onGone(seg, err.code);
        }
        throw err;
      });
      await this.enqueue(async () => {
        const sb = await this.sourceBuffer(seg.codec);
        await this.waitIdle(sb);
        sb.timestampOffset = this.toMedia(seg.start);
        sb.appendBuffer(data);
        await this.waitIdle(sb);
      });
      this.loaded.set(seg.id, seg);
    })().finally(() => this.loading.delete(seg.id));
    this.loading.set(seg.id, p);
    return p;
  }

  /** The segment at `ms` whose footage this page found gone (purged, lost), or undefined. */
  goneAt(ms) {
    const seg = this.index.at(ms);
    return seg && this.gone.has(seg.id) ? seg : undefined;
  }

  /** The segment at `ms` when it can be played: indexed, and not found gone. */
  playable(ms) {
    const seg = this.index.at(ms);
    return seg && !this.gone.has(seg.id) ? seg : undefined;
  }

  /**
   * Names the gone footage at the playhead on the tile (why; where footage resumes is asked of the
   * server by the view, not read from this index, which may list footage purged since).
   */
  showGone(seg, ms) {
    this.setState('gone', { at: ms, code: this.gone.get(seg.id), start: seg.start, end: seg.end });
  }

  /** The end of the footage at `ms` this page found gone, or undefined (for naming where footage resumes). */
  goneEnd(ms) {
    return this.goneAt(ms)?.end;
  }

  /** What the tile says of a hole at `ms`: `gone` (recorded, then purged or lost) or `gap` (never recorded). */
  holeState(ms) {
    return this.goneAt(ms) || this.index.purgedAt(ms) ? 'gone' : 'gap';
  }

  /**
   * Takes the server's timeline of now (`KeptFootage`): segments this page listed that retention has
   * purged since (behind its purged edge and in no kept run) are gone, without a request each.
   */
  forgetPurged(data) {
    const until = data?.retention?.purgedUntil ? Date.parse(data.retention.purgedUntil) : undefined;
    if (until === undefined) return;
    const runs = (data.runs ?? []).map((r) => [Date.parse(r.start), Date.parse(r.end)]);
    for (const seg of this.index.sorted) {
      if (seg.start >= until) break;
      if (seg.end > until || this.gone.has(seg.id)) continue;
      if (runs.some(([a, b]) => a <= seg.start && b >= seg.end)) continue;
      this.gone.set(seg.id, 'purged');
      this.onGone(seg, 'purged');
    }
  }

  /** Whether the camera has recorded footage at `ms` (fetching that part of the index first). */
  async hasFootage(ms) {
    await this.index.ensure(ms);
    return this.index.at(ms) !== undefined;
  }

  /**
   * Shows the frame at wall time `ms`: loads the segment holding it, then sets the playhead (the
   * browser decodes from the segment's keyframe). False, with state `gap`, when nothing was recorded
   * there (the detail names the recorder's reason), or `gone` when retention purged it before the
   * index was read (inside the camera's purged stretch, not a recorder's gap).
   */
  async show(ms, maxAgeMs) {
    this.target = ms;
    await this.index.ensure(ms, maxAgeMs);
    const seg = this.index.at(ms);
    if (!seg) {
      if (this.index.purgedAt(ms)) {
        this.setState('gone', { at: ms, code: 'purged', retention: true });
        return false;
      }
      const gap = this.index.gapAt(ms);
      this.setState('gap', { at: ms, reason: gap?.reason, gapStart: gap?.start, gapEnd: gap?.end });
      return false;
    }
    if (this.gone.has(seg.id)) {
      this.showGone(seg, ms);
      return false;
    }
    if (!this.loaded.has(seg.id)) this.setState('loading');
    try {
      await this.load(seg);
    } catch (err) {
      if (this.gone.has(seg.id)) this.showGone(seg, ms);
      else this.setState('error', { message: err?.message ?? String(err), code: err?.code });
      return false;
    }
    if (this.target !== ms) return false; // a newer seek won
    this.video.currentTime = this.toMedia(ms);
    this.setState('ready');
    void this.fill();
    return true;
  }

  /** Keeps footage loaded ahead of the playhead (more at a higher rate) and trims what is far behind. */
  async fill(rate = this.video.playbackRate || 1) {
    const now = this.wallNow();
    await this.index.ensure(now + AHEAD_S * 1000 * rate);
    let seg = this.index.at(now) ?? this.index.after(now);
    let n = 0;
    while (seg && seg.start < now + AHEAD_S * 1000 * Math.max(1, rate) && n < MAX_AHEAD_SEGMENTS) {
      if (!this.gone.has(seg.id))
        await this.load(seg).catch((err) => {
          // Footage found gone is marked (`gone`, the timeline shows it, the tile names it when the
          // playhead gets there); anything else is tried again when the playhead reaches it.
          if (!this.gone.has(seg.id)) console.warn('playback: could not load ahead', seg.id, err);
        });
      seg = this.index.next(seg);
      n++;
    }
    await this.trim();
  }

  async trim() {
    const sb = this.sb;
    if (!sb) return;
    const now = this.video.currentTime;
    const keepFrom = Math.max(0, now - BEHIND_S);
    const keepTo = now + AHEAD_S * 8 + 30;
    for (const [id, s] of this.loaded) {
      const a = this.toMedia(s.start);
      const b = this.toMedia(s.end);
      if (b >= keepFrom && a <= keepTo) continue;
      this.loaded.delete(id);
      await this.enqueue(async () => {
        await this.waitIdle(sb);
        sb.remove(a, b);
        await this.waitIdle(sb);
      }).catch(() => undefined);
    }
  }

  /** Whether the buffer holds the moment `ms` (it can play from there without fetching). */
  buffered(ms) {
    const t = this.toMedia(ms);
    const b = this.video.buffered;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t < b.end(i)) return true;
    return false;
  }

  /**
   * Where this camera's recording runs out at `seg`, when the playhead waits there for nothing: the
   * index's segment ends and a hole follows, or the segment is all in the buffer and its footage stops
   * where the playhead waits (a hole in the file, an end the index put later than the media, or a
   * decoder that stalls a few frames short of a range's end and stays there for a second). Returns the
   * wall time to go on from (the next buffered footage, else the segment's end), or undefined while
   * the camera is only loading or catching up.
   */
  holeAt(seg) {
    if (this.video.readyState >= 3) {
      this.stuck = undefined;
      return undefined;
    }
    const now = this.wallNow();
    const next = this.index.next(seg);
    if (seg.end - now < 250 && (!next || next.start - seg.end > 250)) return seg.end;
    if (!this.loaded.has(seg.id)) return undefined;
    const t = this.toMedia(now);
    const b = this.video.buffered;
    let end;
    for (let i = 0; i < b.length; i++)
      if (t >= b.start(i) - 0.01 && t < b.end(i)) end = this.toWall(b.end(i));
    if (end !== undefined && end - now > 100) {
      if (end - now > 500) return undefined;
      if (this.stuck?.at !== now) this.stuck = { at: now, since: performance.now() };
      if (performance.now() - this.stuck.since < 1000) return undefined;
    }
    const from = this.toMedia(end ?? now);
    for (let i = 0; i < b.length; i++) {
      const start = this.toWall(b.start(i));
      if (b.start(i) >= from && start < seg.end) return start;
    }
    return seg.end;
  }

  close() {
    this.target = undefined;
    this.video.removeAttribute('src');
    this.video.load();
    URL.revokeObjectURL(this.url);
  }
}
