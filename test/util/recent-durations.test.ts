import { describe, expect, it } from 'vitest';
import { RecentDurations } from '../../src/util/recent-durations.js';

describe('RecentDurations: the last minute, for a health check', () => {
  it('answers the quantiles and the count of the last minute, and forgets what is older', () => {
    let now = 1_000_000;
    const r = new RecentDurations(60_000, 4096, () => now);
    expect(r.summary()).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
    // 100 commits of 1..100 ms, one every 100 ms.
    for (let i = 1; i <= 100; i++) {
      r.record(i);
      now += 100;
    }
    expect(r.summary()).toEqual({ count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
    // A minute later only a stall of 152 ms since.
    now += 60_000;
    r.record(152.456);
    expect(r.summary()).toEqual({ count: 1, p50Ms: 152.46, p99Ms: 152.46, maxMs: 152.46 });
    now += 61_000;
    expect(r.summary()).toEqual({ count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('counts every sample of a busy minute, and takes its quantiles from the newest it keeps', () => {
    let now = 5_000;
    const r = new RecentDurations(60_000, 100, () => now);
    for (let i = 0; i < 1000; i++) {
      // The older 900 slow, the newest 100 fast.
      r.record(i < 900 ? 50 : 2);
      now += 10;
    }
    const s = r.summary();
    expect(s.count).toBe(1000);
    expect(s).toMatchObject({ p50Ms: 2, p99Ms: 2, maxMs: 2 });
  });
});

describe('RecentDurations: a calendar minute read a moment after it ended (系统状态’s history)', () => {
  it('counts exactly the minute’s seconds and quantiles, not the seconds after it', () => {
    const minute = 1_800_000; // a minute's start, epoch ms
    let now = minute - 2_000;
    const r = new RecentDurations(60_000, 4096, () => now);
    r.record(500); // the minute before: not this one
    now = minute;
    r.record(1); // its first millisecond
    now = minute + 30_000;
    for (let i = 0; i < 10; i++) r.record(3);
    now = minute + 59_999;
    r.record(40); // its last millisecond
    now = minute + 60_000;
    r.record(900); // the next minute's first: not this one
    now = minute + 61_500; // read as the history does, a second and a half later
    r.record(700);
    expect(r.summary(minute + 60_000 - 1)).toEqual({ count: 12, p50Ms: 3, p99Ms: 40, maxMs: 40 });
    // The minute up to now is the usual reading, unchanged.
    expect(r.summary().count).toBe(13);
  });
});
