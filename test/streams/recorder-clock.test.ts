import { describe, expect, it } from 'vitest';
import { type ClockFragment, MediaClock, type Placement } from '../../streams/recorder-clock.js';

const TS = 90_000;
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
/** A 200 ms fragment at media second `s`, arriving `late` ms after its end. */
const frag = (s: number, late = 0, dur = 0.2): ClockFragment => ({
  decodeTime: Math.round(s * TS),
  duration: Math.round(dur * TS),
  timescale: TS,
  wallclock: T0 + (s + dur) * 1000 + late,
});
const run = (clock: MediaClock, frags: ClockFragment[]): Placement[] => frags.map((f) => clock.place(f));
const starts = (ps: Placement[]) => ps.map((p) => (p.kind === 'cut' ? p.kind : Math.round(p.startMs - T0)));

describe('media clock: where a run of media time sits on the wall clock', () => {
  it('places every fragment by media time, whatever the jitter of its arrival', () => {
    const jitter = [0, 180, 40, 900, 20, 300, 0, 60];
    const ps = run(
      new MediaClock(),
      jitter.map((j, i) => frag(i * 0.2, j)),
    );
    expect(starts(ps)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400]);
  });

  it('a late first fragment (ffmpeg probing, then a burst) is corrected while the run is refinable', () => {
    const clock = new MediaClock();
    // The first second arrives at once, 1.2 s late; then live, on time.
    const burst = [0, 0.2, 0.4, 0.6, 0.8].map((s) => ({ ...frag(s), wallclock: T0 + 2200 }));
    run(clock, burst);
    const live = run(clock, [frag(1), frag(1.2)]);
    expect(starts(live)).toEqual([1000, 1200]);
    expect(Math.round(clock.wallOf(0) - T0)).toBe(0);
  });

  it('once no longer refinable, an early arrival beyond the tolerance cuts the run', () => {
    const clock = new MediaClock();
    run(clock, [frag(0, 800)]);
    clock.refinable = false;
    expect(clock.place(frag(0.2, 500)).kind).toBe('ok');
    const p = clock.place(frag(0.4, -400));
    expect(p).toMatchObject({ kind: 'cut', reason: expect.stringMatching(/camera clock ran 1200 ms ahead/) });
  });

  it.each([
    ['media time jumping forward 3 s is a hole', [frag(0), frag(0.2), frag(3.4)], 'hole'],
    ['media time going backwards is a new run', [frag(5), frag(5.2), frag(1)], 'cut'],
    ['a small step (one lost frame) is not a hole', [frag(0), frag(0.2), frag(0.5)], 'ok'],
  ])('%s', (_what, frags, kind) => {
    const ps = run(new MediaClock(), frags);
    expect(ps[ps.length - 1]!.kind).toBe(kind);
  });

  it('a hole keeps the run: footage after it sits where media time says', () => {
    const ps = run(new MediaClock(), [frag(0), frag(0.2), frag(3.4)]);
    expect(ps[2]).toMatchObject({ kind: 'hole', missingMs: 3000 });
    expect(starts(ps)).toEqual([0, 200, 3400]);
  });

  it('a stream that stays more than 2 s behind for a window of fragments cuts the run', () => {
    const clock = new MediaClock({ window: 5 });
    clock.refinable = false;
    const ps = run(clock, [frag(0), ...[1, 2, 3, 4, 5].map((i) => frag(i * 0.2, 2500))]);
    expect(ps.map((p) => p.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'cut']);
  });

  it('a media clock that stopped while the wall clock ran: its steady streak is suspect, then cut for re-placing', () => {
    // The source paused 11 s and resumed its timestamps where they stopped, at the real pace: each
    // fragment after it arrives 11 s later than media time puts it (console-video saw footage taken
    // at 09:28:37 indexed at 09:28:26).
    const clock = new MediaClock({ window: 5 });
    clock.refinable = false;
    const ps = run(clock, [frag(0), ...[1, 2, 3, 4, 5].map((i) => frag(i * 0.2, 11_000 + (i % 2) * 300))]);
    expect(ps.map((p) => (p.kind === 'cut' ? p.kind : p.kind + (p.suspect ? '?' : '')))).toEqual([
      'ok',
      'ok?',
      'ok?',
      'ok?',
      'ok?',
      'cut',
    ]);
    expect(ps[5]).toMatchObject({ replace: true, reason: 'stream fell 11000 ms behind the wall clock' });
  });

  it('a media clock slower than the wall clock (a starved source stamping frames by count) is cut the same way', () => {
    const clock = new MediaClock({ window: 5 });
    clock.refinable = false;
    // Each 200 ms fragment of media comes 350 ms of wall time after the last.
    const ps = run(
      clock,
      Array.from({ length: 18 }, (_, i) => frag(i * 0.2, i * 150)),
    );
    // Late by more than 2 s from the 15th fragment on (2.1 s, growing): suspect; the fifth is the cut.
    expect(ps.map((p) => (p.kind === 'cut' ? p.kind : p.kind + (p.suspect ? '?' : '')))).toEqual([
      ...Array<string>(14).fill('ok'),
      ...Array<string>(4).fill('ok?'),
    ]);
    expect(clock.place(frag(18 * 0.2, 18 * 150))).toMatchObject({ kind: 'cut', replace: true });
  });

  it('a stalled network catching up with a burst is placed by media time and never cut', () => {
    // On time to 0.4 s, then nothing until 8 s of wall time, when the backlog arrives at once.
    const clock = new MediaClock();
    clock.refinable = false;
    const frags = Array.from({ length: 40 }, (_, i) => {
      const f = frag(i * 0.2);
      return i < 2 ? f : { ...f, wallclock: Math.max(f.wallclock, T0 + 8000) };
    });
    const ps = run(clock, frags);
    expect(ps.some((p) => p.kind === 'cut')).toBe(false);
    expect(starts(ps)).toEqual(frags.map((_, i) => i * 200));
    // Suspect only while the streak could still be steady: it shrinks by 200 ms a fragment.
    const suspect = ps.map((p) => p.kind !== 'cut' && p.suspect === true);
    expect(suspect.slice(0, 2)).toEqual([false, false]);
    expect(suspect.slice(2, 12).every(Boolean)).toBe(true);
    expect(suspect.slice(12).some(Boolean)).toBe(false);
  });

  it('never starts a run before the previous one ended', () => {
    const clock = new MediaClock();
    clock.place(frag(0));
    expect(clock.notBefore(0, T0 + 300)).toBe(300);
    // A later, earlier-looking arrival does not move it back past that floor.
    clock.place({ ...frag(0.2), wallclock: T0 });
    expect(Math.round(clock.wallOf(0) - T0)).toBe(300);
  });
});
