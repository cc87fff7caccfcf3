import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import type { DB } from '../../src/store/db-types.js';
import { assembleClip } from '../../streams/clip-assembler.js';
import { type Segment, SegmentIndex } from '../../streams/segment-index.js';
import { type ChildService, startChildService } from '../helpers/child-service.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { probeTiming } from '../streams/media-probe.js';
import { BurntInClock } from './burnt-in-clock.js';
import { recordingCityYaml, waitForSegments } from './recording-fixture.js';

const FPS = 15;
const FRAME = 1 / FPS;
const ALL = Number.MAX_SAFE_INTEGER;

/**
 * What issue 14 found broken, checked on real recordings of a live RTSP camera (GStreamer test
 * pattern at 15 fps with a burnt-in wall clock) through the stream hub: every clip starts at zero,
 * its timestamps rise without a hole, its duration is the wall time its segments cover, and the
 * camera's own clock, read from the frames, agrees with the recorded wall clock. Across a reconnect and a SIGKILL of the
 * service, the hole is a gap row and a chapter, never a frozen frame or invented time.
 */
async function checkClip(index: SegmentIndex, camera: string, segs: Segment[], out: string) {
  const clip = await assembleClip({
    index,
    camera,
    fromMs: segs[0]!.startMs,
    toMs: segs[segs.length - 1]!.endMs,
    out,
  });
  const t = await probeTiming(out);
  expect(t.start).toBe(0);
  expect(t.monotonic).toBe(true);
  // No frozen frame: no step between frames longer than a frame and a half (one lost frame at most).
  expect(t.maxStep).toBeLessThan(FRAME * 2.5);
  expect(Math.abs(t.frameInterval - FRAME)).toBeLessThan(0.002);
  // Duration = the wall time the segments cover (less the gaps), within a frame.
  const covered = segs.reduce((n, s) => n + (s.endMs - s.startMs) / 1000, 0);
  expect(Math.abs(t.duration - covered)).toBeLessThanOrEqual(FRAME);
  expect(Math.abs(clip.duration - covered)).toBeLessThan(0.002);
  expect(Math.abs(t.packets.length - covered * FPS)).toBeLessThanOrEqual(2 * clip.pieces.length);
  return { clip, timing: t };
}

/** The burnt-in clock's 14 digits (YYYYMMDDHHMMSS, UTC) for the second containing `ms`. */
const clockDigits = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\D/g, '').slice(0, 14);

/**
 * Whether a reading of the clock agrees with the recorded time of its frame: for some offset of the
 * recorded time r after the second S the clock showed in [-300, 1800] ms (see below), the reading's
 * seconds are S's, and the rest of it is at most two edits (a misread, a dropped or an extra digit)
 * from S's other twelve digits. The reader misreads single digits of the same text on every frame of a
 * piece (9 for 6 in the hour, 6 for 3 in the day, "1630:12" for 16:33:12: 3 for 0 in the minutes, a
 * CI run at 16:33 UTC) and drops some ("11:0:07" for 11:30:07 on every frame, a CI run at 11:30 UTC);
 * a timing fault moves the seconds. It would pass only a fault of a whole number of minutes to within 2 s.
 */
function readingAgrees(digits: string, recordedMs: number): boolean {
  if (digits.length < 12) return false;
  for (let o = -300; o <= 1800; o += 100) {
    const want = clockDigits(recordedMs - o);
    if (want.slice(12) !== digits.slice(-2)) continue;
    if (editDistance(want.slice(0, 12), digits.slice(0, -2)) <= 2) return true;
  }
  return false;
}

/** Levenshtein distance: the fewest digits misread, dropped or added to make `a` read as `b`. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The camera's burnt-in clock against the recorded wall clock, sixteen frames of every piece: the clock
 * shows the second S in which the frame was drawn (at capture); the recorded time r of the frame is
 * capture plus the live latency the recorder could not remove (well under a second). So r - S lies
 * in [0, 1 s + latency]. An offset added up over segments, a frozen frame, or a piece placed wrongly
 * after a reconnect or a restart moves every frame of the piece by seconds; the reader misreading a
 * digit of the seconds moves one reading (`readingAgrees` forgives misread digits elsewhere). So: at
 * least 3 of 16 readings of each piece agree.
 */
async function expectBurntInClock(
  clock: BurntInClock,
  file: string,
  pieces: { startMs: number; endMs: number; mediaStart: number }[],
) {
  for (const p of pieces) {
    const len = (p.endMs - p.startMs) / 1000;
    // Sixteen instants spread over the piece (a CI run read only 3 of 8 frames of one piece).
    const at = Array.from({ length: 16 }, (_, i) => p.mediaStart + 0.3 + ((len - 0.6) * i) / 15);
    const offsets: number[] = [];
    const seen: string[] = [];
    let agree = 0;
    for (const t of at) {
      const r = await clock.read(file, t);
      seen.push(`${t.toFixed(2)}s "${r.text}" ${r.confidence.toFixed(2)}`);
      const recorded = p.startMs + (t - p.mediaStart) * 1000;
      if (r.ms !== undefined) offsets.push(recorded - r.ms);
      if (r.digits !== undefined && readingAgrees(r.digits, recorded)) agree++;
    }
    expect(
      agree,
      `clock offsets ${offsets.join(', ')} ms; the reader saw:\n${seen.join('\n')}`,
    ).toBeGreaterThanOrEqual(3);
  }
}

// The simulator draws its clock in its own time zone: UTC here, as the readings are compared in UTC.
process.env.TZ = 'UTC';
let clock: BurntInClock;
beforeAll(async () => {
  clock = await BurntInClock.open();
});
afterAll(async () => clock?.close());

describe('reading the burnt-in clock', () => {
  // CI run 15 (2026-12-03 16:33 UTC): the frame recorded at 16:33:12.505 read as "2026-12-06 1630:12".
  const recorded = Date.parse('2026-12-03T16:33:12.505Z');
  it('forgives two misread digits outside the seconds (the day and the minutes here)', () => {
    expect(readingAgrees('20261206163012', recorded)).toBe(true);
    expect(readingAgrees('20261203163312', recorded)).toBe(true);
    // Drawn up to 1.8 s before it was recorded (the live latency), or 0.3 s after.
    expect(readingAgrees('20261203163311', recorded)).toBe(true);
  });
  it('forgives a digit dropped or added outside the seconds (the reader read 11:30:07 as "11:0:07")', () => {
    expect(readingAgrees('2026120316312', recorded)).toBe(true); // 16:3_:12
    expect(readingAgrees('202612031633312', recorded)).toBe(true); // 16:333:12
    expect(readingAgrees('20261203163', recorded)).toBe(false); // no seconds to speak of
    expect(readingAgrees('2026120636312', recorded)).toBe(false); // a dropped digit and a wrong day
    // CI run 74 (2026-12-06 11:30 UTC) read every frame of 11:30 without its 3.
    expect(readingAgrees('2026120611007', Date.parse('2026-12-06T11:30:07.600Z'))).toBe(true);
    expect(readingAgrees('2026120611007', Date.parse('2026-12-06T11:30:12.000Z'))).toBe(false); // seconds moved
  });
  it('does not forgive seconds that moved, or three misread digits', () => {
    expect(readingAgrees('20261203163317', recorded)).toBe(false);
    expect(readingAgrees('20261203163309', recorded)).toBe(false);
    expect(readingAgrees('20261206163002', recorded)).toBe(false);
    expect(readingAgrees('20261206193012', recorded)).toBe(false);
  });
});

describe('recording timing on a live RTSP camera', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: FPS, paths: ['cam1', 'cam2'] });
    svc = await startTestService({ yaml: recordingCityYaml(rtsp) });
    rec = svc.svc.part<RecordingPart>('recording');
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await rtsp?.stop();
  });

  it('across 25 segment boundaries: contiguous, timed from zero, the burnt-in clock where the index says', async () => {
    const first = await waitForSegments(rec, 'cam-1', 2, 30_000);
    const t0 = Date.now();
    const atStart = first[first.length - 1]!.endMs;
    const segs = await waitForSegments(rec, 'cam-1', first.length + 25, 60_000);
    // Real time passed as the index says (the indexing delay of each end is the same within 0.5 s).
    expect(Math.abs(Date.now() - t0 - (segs[segs.length - 1]!.endMs - atStart))).toBeLessThan(700);
    const run = segs.slice(1);
    for (const [i, s] of run.slice(1).entries()) expect(s.startMs).toBe(run[i]!.endMs);
    expect(await rec.index.gaps('cam-1', run[0]!.startMs, ALL)).toEqual([]);
    expect(run.every((s) => s.zeroBased && s.keyframes[0] === 0)).toBe(true);
    for (const s of run.slice(0, 5)) {
      const t = await probeTiming(join(s.storage, s.path));
      expect(t.start).toBe(0);
      expect(Math.abs(t.duration - (s.endMs - s.startMs) / 1000)).toBeLessThanOrEqual(FRAME);
    }
    const out = join(svc.dataDir, 'boundaries.mp4');
    const { clip } = await checkClip(rec.index, 'cam-1', run, out);
    expect(clip.pieces).toHaveLength(1);
    await expectBurntInClock(clock, out, clip.pieces);
  }, 90_000);

  it('across an upstream reconnect: a gap row and a chapter, no frozen frame, the wall clock kept', async () => {
    // cam-1 is the full-size mount (the second is half size, too small for the clock to be read).
    const before = await waitForSegments(rec, 'cam-1', 4, 30_000);
    const lost = Date.now();
    await rtsp.drop();
    await new Promise((r) => setTimeout(r, 3000));
    await rtsp.resume();
    const back = Date.now();
    await expect
      .poll(async () => (await rec.index.gaps('cam-1', 0, ALL)).length, { timeout: 30_000 })
      .toBe(1);
    const [gap] = await rec.index.gaps('cam-1', 0, ALL);
    expect(gap!.reason).toMatch(/^stream lost/);
    // The gap covers the outage: it starts before the drop and ends after the resume.
    expect(gap!.startMs).toBeLessThanOrEqual(lost + 300);
    expect(gap!.endMs).toBeGreaterThanOrEqual(back);
    const after = await waitForSegments(rec, 'cam-1', before.length + 6, 30_000);
    const segs = after.filter((s) => s.startMs >= before[before.length - 4]!.startMs);
    const out = join(svc.dataDir, 'reconnect.mp4');
    const { clip, timing } = await checkClip(rec.index, 'cam-1', segs, out);
    expect(clip.pieces).toHaveLength(2);
    expect(clip.holes).toEqual([{ startMs: gap!.startMs, endMs: gap!.endMs }]);
    expect(timing.chapters).toHaveLength(2);
    expect(timing.chapters[1]!.title).toMatch(/after a \d+ s gap/);
    await expectBurntInClock(clock, out, clip.pieces);
  }, 90_000);
});

describe('recording timing across a SIGKILL of the service', () => {
  let rtsp: RtspSource;
  let dir: string;
  let child: ChildService | undefined;
  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: FPS, paths: ['cam1', 'cam2'] });
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-kill-'));
  });
  afterAll(async () => {
    await child?.stop('SIGKILL');
    await rtsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the segment open at the kill is recovered, the downtime is a gap, the clip across it is right', async () => {
    const config = join(dir, 'city.yaml');
    writeFileSync(config, recordingCityYaml(rtsp).replace('segmentSeconds: 1', 'segmentSeconds: 4'));
    const args = [
      '--config',
      config,
      '--data-dir',
      join(dir, 'data'),
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
    ];
    const db = () => new Database(join(dir, 'data', 'sharpeyes.db'), { readonly: true });
    const indexed = (camera: string) => {
      const d = db();
      try {
        return d.prepare('SELECT COUNT(*) AS n FROM recording_segments WHERE camera = ?').get(camera) as {
          n: number;
        };
      } finally {
        d.close();
      }
    };
    child = await startChildService(args);
    await expect.poll(() => indexed('cam-1').n, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    // Two seconds into the next 4 s segment: it is open, half written, when the process dies.
    await new Promise((r) => setTimeout(r, 2000));
    const before = indexed('cam-1').n;
    const killedAt = Date.now();
    await child.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 2000));
    child = await startChildService(args);
    await expect
      .poll(() => indexed('cam-1').n, { timeout: 30_000, interval: 250 })
      .toBeGreaterThanOrEqual(before + 3);
    await child.stop('SIGTERM');
    child = undefined;

    const conn = db();
    try {
      const index = new SegmentIndex(new Kysely<DB>({ dialect: new SqliteDialect({ database: conn }) }));
      const segs = (await index.segments('cam-1', 0, ALL)).slice(1);
      const gaps = await index.gaps('cam-1', 0, ALL);
      expect(gaps).toHaveLength(1);
      const gap = gaps[0]!;
      expect(gap.reason).toBe('not recording');
      // The half-written segment was indexed at the restart: footage reaches the kill (within a fragment).
      const recovered = segs.find((s) => s.endMs === gap.startMs)!;
      expect(recovered.zeroBased).toBe(true);
      expect(killedAt - gap.startMs).toBeLessThan(1000);
      expect(gap.endMs - killedAt).toBeGreaterThan(2000);
      expect((await index.runs('cam-1', 0, ALL)).length).toBe(2);
      const out = join(dir, 'restart.mp4');
      const { clip, timing } = await checkClip(index, 'cam-1', segs, out);
      expect(clip.pieces).toHaveLength(2);
      expect(timing.chapters).toHaveLength(2);
      await expectBurntInClock(clock, out, clip.pieces);
    } finally {
      conn.close();
    }
  }, 120_000);
});
