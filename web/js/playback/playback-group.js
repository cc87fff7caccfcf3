// Up to four cameras of a site played in sync on one wall clock. The group's clock is the position
// (wall ms): while playing, the first camera that has footage there drives it (its <video> keeps real
// time); where no camera has footage the clock runs on its own and jumps to the next recording. Every
// other camera follows the clock: it is set to the same wall time when it drifts, shows its own gap
// where it has none, and resumes where its recording does. Footage found gone since the index was read
// (purged, a lost file) is a gap too: named on its tile, marked on the timeline, passed over in play;
// so is footage retention purged before the page read its index (the camera's purged stretch).
// The group holds its cameras' footage around the clock from retention while it is open (FootageHold).

import { CameraPlayer } from './camera-player.js';
import { FootageHold } from './footage-hold.js';
import { SEEK_RECHECK_MS } from './segment-index.js';

const TICK_MS = 100;
const MAX_DRIFT_MS = 250;

export class PlaybackGroup {
  /**
   * @param {{range: {from: number, to: number}, cameras: {camera: string, video: HTMLVideoElement}[],
   *   onTick: (ms: number) => void, onCamera: (camera: string, state: string, detail?: object) => void,
   *   onJump: (info: {from: number, to: number, gone?: boolean}) => void, onEnd: () => void,
   *   onGone?: (camera: string, seg: object, code: string) => void,
   *   onHold?: (state: string, detail?: object) => void,
   *   nextRecorded?: (ms: number) => number | undefined}} o
   */
  constructor(o) {
    this.o = o;
    this.range = o.range;
    this.players = o.cameras.map(
      (c) =>
        new CameraPlayer({
          camera: c.camera,
          range: o.range,
          video: c.video,
          onState: (state, detail) => o.onCamera(c.camera, state, detail),
          onGone: (seg, code) => o.onGone?.(c.camera, seg, code),
        }),
    );
    this.hold = new FootageHold({
      cameras: o.cameras.map((c) => c.camera),
      range: o.range,
      position: () => this.position,
      onState: (state, detail) => o.onHold?.(state, detail),
    });
    this.position = o.range.from;
    this.playing = false;
    this.reverse = false;
    this.rate = 1;
    this.base = { pos: this.position, t: performance.now() };
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.fillTimer = setInterval(() => {
      if (this.playing) for (const p of this.players) void p.fill(this.rate);
    }, 2000);
  }

  get primary() {
    return this.players[0];
  }

  rebase(pos = this.position) {
    this.position = pos;
    this.base = { pos, t: performance.now() };
  }

  /** Moves every camera to wall time `ms`; resolves once each shows its frame (or its gap). */
  async seek(ms) {
    const at = Math.max(this.range.from, Math.min(this.range.to - 1, ms));
    this.rebase(at);
    this.o.onTick(this.position);
    // A seek asks the index again past its newest segment (footage recorded since the page opened).
    const shown = await Promise.all(this.players.map((p) => p.show(at, SEEK_RECHECK_MS)));
    if (this.playing && !this.reverse) for (const [i, p] of this.players.entries()) if (shown[i]) this.run(p);
    this.o.onTick(this.position);
    return shown;
  }

  run(p) {
    p.video.playbackRate = this.rate;
    void p.video.play().catch(() => undefined);
  }

  play() {
    this.stopReverse();
    this.playing = true;
    this.rebase(this.position);
    for (const p of this.players) if (p.index.at(this.position)) this.run(p);
  }

  pause() {
    this.stopReverse();
    this.playing = false;
    for (const p of this.players) p.video.pause();
    this.rebase(this.position);
    this.o.onTick(this.position);
  }

  setRate(rate) {
    this.rate = rate;
    this.rebase(this.position);
    for (const p of this.players) p.video.playbackRate = rate;
    if (this.reverse) this.playReverse();
  }

  /** One frame forward or back (paused); the frame interval comes from the segment's frame count. */
  async stepFrame(dir) {
    this.pause();
    const fps = this.primary.index.fpsAt(this.position);
    await this.seek(this.position + (dir * 1000) / fps + (dir > 0 ? 1 : -1));
  }

  /** To the previous or next keyframe of the first camera (paused). */
  async stepKeyframe(dir) {
    this.pause();
    await this.primary.index.ensure(this.position);
    const k =
      dir < 0
        ? this.primary.index.keyframeBefore(this.position)
        : this.primary.index.keyframeAfter(this.position);
    if (k !== undefined) await this.seek(k);
  }

  /** Reverse play: from keyframe to keyframe backwards, as fast as the rate asks. */
  playReverse() {
    this.stopReverse();
    for (const p of this.players) p.video.pause();
    this.playing = true;
    this.reverse = true;
    const step = async () => {
      if (!this.reverse) return;
      await this.primary.index.ensure(this.position - 60_000);
      const k = this.primary.index.keyframeBefore(this.position);
      if (k === undefined || k <= this.range.from) {
        this.pause();
        this.o.onEnd();
        return;
      }
      await this.seek(k);
      const gop = Math.max(
        200,
        this.position - (this.primary.index.keyframeBefore(this.position) ?? this.position - 1000),
      );
      this.reverseTimer = setTimeout(() => void step(), Math.max(80, gop / this.rate));
    };
    void step();
  }

  stopReverse() {
    this.reverse = false;
    clearTimeout(this.reverseTimer);
  }

  tick() {
    if (!this.playing || this.reverse) return;
    const now = performance.now();
    const driver = this.players.find(
      (p) => p.state === 'ready' && !p.video.paused && p.video.readyState >= 3 && p.buffered(p.wallNow()),
    );
    // A camera waiting for footage holds the clock, unless its recording runs out where it waits (a
    // segment that a hole follows, or footage that stops short of the index: camera-player holeAt):
    // then the clock goes on, into the gap or to where the footage resumes.
    let stalled = false;
    let resume;
    for (const p of this.players) {
      const seg = p.playable(this.position);
      if (!seg || p.video.readyState >= 3) continue;
      const at = p.holeAt(seg);
      if (at === undefined) stalled = true;
      else resume = Math.min(resume ?? at, at);
    }
    if (driver) this.rebase(driver.wallNow());
    else if (resume !== undefined && !stalled) this.rebase(Math.max(this.position, resume));
    else if (stalled)
      this.rebase(this.position); // hold the clock while footage loads
    else this.position = this.base.pos + (now - this.base.t) * this.rate;
    if (this.position >= this.range.to) {
      this.pause();
      this.o.onEnd();
      return;
    }
    let any = false;
    for (const p of this.players) {
      const seg = p.playable(this.position);
      if (!seg) {
        if (!p.video.paused) p.video.pause();
        const gone = p.goneAt(this.position);
        if (gone) {
          if (p.state !== 'gone') p.showGone(gone, this.position);
        } else if (p.state !== p.holeState(this.position) && p.index.has(this.position))
          void p.show(this.position);
        if (!p.index.has(this.position)) void p.index.ensure(this.position);
        continue;
      }
      any = true;
      if (!p.buffered(this.position) || p.state !== 'ready') {
        if (!p.loading.has(seg.id))
          void p.show(this.position).then((ok) => ok && this.playing && this.run(p));
        continue;
      }
      if (Math.abs(p.wallNow() - this.position) > MAX_DRIFT_MS * Math.max(1, this.rate))
        p.video.currentTime = p.toMedia(this.position);
      if (p.video.paused) this.run(p);
    }
    if (!any && this.players.every((p) => p.index.has(this.position))) {
      // Nobody recorded this moment: on to the next recording of any camera (the timeline knows
      // the whole range; the index only the windows fetched so far).
      let next =
        this.o.nextRecorded?.(this.position) ??
        Math.min(...this.players.map((p) => p.index.after(this.position)?.start ?? Number.POSITIVE_INFINITY));
      // The timeline's runs still hold footage this page found gone: on past it. A stretch retention
      // purged is said as skipped purged footage, not as one without recording.
      const gone = this.players.some((p) => p.goneAt(this.position) || p.index.purgedAt(this.position));
      for (let i = 0; i < 10_000 && Number.isFinite(next); i++) {
        const ends = this.players.map((p) => p.goneAt(next)?.end).filter((e) => e !== undefined);
        if (ends.length === 0 || this.players.some((p) => p.playable(next))) break;
        next = Math.max(...ends);
      }
      if (Number.isFinite(next) && next > this.position) {
        this.o.onJump({ from: this.position, to: next, gone });
        void this.seek(next);
      } else {
        this.pause();
        this.o.onEnd();
      }
    }
    this.o.onTick(this.position);
  }

  close() {
    clearInterval(this.timer);
    clearInterval(this.fillTimer);
    this.hold.close();
    this.stopReverse();
    for (const p of this.players) p.close();
  }
}
