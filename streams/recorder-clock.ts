/**
 * Where a camera's media time sits on the wall clock. A run (an upstream from its init segment to a
 * reconnect) is placed once: media time is the truth inside it, so a recorded second is a second of
 * video, segments of a run are contiguous, and a file's duration is the wall time it covers.
 *
 * The hub stamps each fragment with its arrival, which is the *end* of the fragment plus a latency
 * that only ever adds. The earliest arrival, relative to media time, is the best estimate of the
 * latency-free position: while a run's first segment is open (`refinable`), an earlier arrival moves
 * the anchor back (ffmpeg's probe delivers the first second in a burst, late). After that the anchor
 * stays, and a run is cut (a new anchor) only when arrivals stay later than media time by more than
 * `maxLateMs` (a stalled network, a camera clock slower than ours), or come impossibly early.
 *
 * Lateness that stays or grows is a media clock that stopped or runs slow while the wall clock ran
 * (a starved source that stamps frames by their count, one that paused and resumed its timestamps
 * where they were): those frames were taken when they arrived, not where media time puts them, which
 * is up to the whole stall earlier. Lateness that shrinks is a stalled network catching up with a
 * burst of frames that were taken where media time says. So a fragment late by more than
 * `maxLateMs` is placed `suspect` unless its streak is catching up: the recorder holds it until the
 * streak ends or catches up (it was placed right) or reaches `window` fragments, which cuts the run
 * with `replace`: the held fragments start the next run, placed by their arrival.
 */
export interface ClockFragment {
  /** Arrival time at the hub (ms since epoch). */
  wallclock: number;
  decodeTime: number;
  /** Fragment duration in ticks (0 when unknown: the previous fragment's is used). */
  duration: number;
  timescale: number;
}

export type Placement =
  | { kind: 'ok'; startMs: number; durationMs: number; suspect?: true }
  /** Media time jumped forward (frames missing upstream): the span is a gap, the run goes on. */
  | { kind: 'hole'; startMs: number; durationMs: number; missingMs: number; suspect?: true }
  /**
   * The fragment cannot continue the run: start a new one from it. With `replace`, the run's media
   * clock stopped or ran slow: the suspect fragments before this one start the new run too.
   */
  | { kind: 'cut'; reason: string; replace?: true };

export interface ClockOptions {
  /**
   * Sustained lateness that cuts a run (default 2000 ms); also how far a late streak must come down
   * from its peak to be a network catching up.
   */
  maxLateMs?: number;
  /** Arrival earlier than media time by this much cuts a run (default 1000 ms). */
  maxEarlyMs?: number;
  /** Fragments over which lateness must persist (default 25, about 5 s of 200 ms fragments). */
  window?: number;
  /** A forward jump of media time longer than this is a hole (default 1000 ms). */
  maxHoleMs?: number;
}

export class MediaClock {
  private anchor: { wall: number; decode: number; timescale: number } | undefined;
  private prevEnd = 0;
  private lastDuration = 0;
  /** Lateness of the current streak's fragments later than `maxLateMs` (the last `window` of them). */
  private late: number[] = [];
  /** While true an earlier arrival moves the anchor back (the run's first segment is still open). */
  refinable = true;
  /** The run may not start before this: `wallOf(floor.decode) >= floor.wall` (the previous run's end). */
  private floor: { decode: number; wall: number } | undefined;

  constructor(private readonly o: ClockOptions = {}) {}

  get started(): boolean {
    return this.anchor !== undefined;
  }

  reset(): void {
    this.anchor = undefined;
    this.floor = undefined;
    this.late = [];
    this.lastDuration = 0;
    this.refinable = true;
  }

  /** Wall clock of a decode time of the current run. */
  wallOf(decodeTime: number): number {
    const a = this.anchor;
    if (!a) return Number.NaN;
    return a.wall + ((decodeTime - a.decode) / a.timescale) * 1000;
  }

  /**
   * Keeps the run from starting before `wall` at `decode` (the previous run's recorded end): moves it
   * later now if it would, and stops a refinement from moving it back there. Returns the shift in ms.
   */
  notBefore(decode: number, wall: number): number {
    this.floor = { decode, wall };
    const over = wall - this.wallOf(decode);
    if (!(over > 0) || !this.anchor) return 0;
    this.anchor.wall += over;
    return over;
  }

  place(f: ClockFragment): Placement {
    const ts = f.timescale;
    const duration = f.duration > 0 ? f.duration : this.lastDuration;
    if (f.duration > 0) this.lastDuration = f.duration;
    const durationMs = (duration / ts) * 1000;
    const arrivalStart = f.wallclock - durationMs;
    const a = this.anchor;
    if (!a || a.timescale !== ts) {
      this.anchor = { wall: arrivalStart, decode: f.decodeTime, timescale: ts };
      this.prevEnd = f.decodeTime + duration;
      this.late = [];
      return { kind: 'ok', startMs: arrivalStart, durationMs };
    }
    const halfFrame = duration > 0 ? duration / 2 : ts / 50;
    if (f.decodeTime < this.prevEnd - halfFrame)
      return { kind: 'cut', reason: 'media time went backwards (upstream restarted its clock)' };
    let predicted = this.wallOf(f.decodeTime);
    let late = arrivalStart - predicted;
    if (late < 0 && this.refinable) {
      const fl = this.floor;
      const lowest = fl ? fl.wall - ((fl.decode - a.decode) / ts) * 1000 : Number.NEGATIVE_INFINITY;
      const moved = Math.max(a.wall + late, lowest) - a.wall;
      a.wall += moved;
      predicted += moved;
      late -= moved;
    }
    if (late < -(this.o.maxEarlyMs ?? 1000))
      return { kind: 'cut', reason: `camera clock ran ${Math.round(-late)} ms ahead of the service clock` };
    const maxLate = this.o.maxLateMs ?? 2000;
    const window = this.o.window ?? 25;
    if (late > maxLate) this.late.push(late);
    else this.late = [];
    if (this.late.length > window) this.late.shift();
    // Catching up: lateness came down from the streak's peak (of its last `window`) by the limit or
    // more (a burst shrinks it by up to a fragment's duration at each fragment).
    const steady = this.late.length > 0 && Math.max(...this.late) - late < maxLate;
    if (steady && this.late.length === window)
      return {
        kind: 'cut',
        reason: `stream fell ${Math.round(Math.min(...this.late))} ms behind the wall clock`,
        replace: true,
      };
    const suspect = steady ? ({ suspect: true } as const) : {};
    const holeMs = ((f.decodeTime - this.prevEnd) / ts) * 1000;
    this.prevEnd = f.decodeTime + duration;
    if (holeMs > (this.o.maxHoleMs ?? 1000))
      return { kind: 'hole', startMs: predicted, durationMs, missingMs: holeMs, ...suspect };
    return { kind: 'ok', startMs: predicted, durationMs, ...suspect };
  }
}
