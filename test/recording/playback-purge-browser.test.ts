import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import { silentLogger } from '../../src/log.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import type { Segment } from '../../streams/segment-index.js';
import { resolveInside } from '../../streams/segment-paths.js';
import type { TestService } from '../helpers/service.js';
import { beijing, investigatorPage, playbackShot, position } from './player-page.js';
import { oneByteRetention, startRecordingCity, waitForSegments } from './recording-fixture.js';

/**
 * The investigator's own player (the console, not `/api/recordings/play`) against retention run for
 * real: footage open in the player is held while the page is open, and footage gone anyway (a file
 * deleted by hand, a purge while the hold had lapsed) is said on the tile and drawn on the timeline,
 * never a silent stall.
 */
describe('retention and the footage open in the console player', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  let browser: Browser;
  let page: Page;
  let storage: string;

  const cam1 = () => rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
  /** A real retention pass over the recordings whose byte cap (one byte) wants every segment it may take. */
  const purge = async () => {
    const r = oneByteRetention(rec.index, storage);
    let pass = await r.runOnce();
    let byBytes = pass.byBytes;
    // A pass deletes a bounded batch; the maintainer runs the next a second later, this at once.
    for (let i = 0; i < 20 && pass.more; i++) {
      pass = await r.runOnce();
      byBytes += pass.byBytes;
    }
    return { byBytes };
  };
  const heldRows = () =>
    svc.svc
      .need('store')
      .k.selectFrom('playback_holds')
      .selectAll()
      .where('player_hold', 'is not', null)
      .execute();
  const onDisk = (s: Segment) => existsSync(resolveInside(s.storage, s.path));
  /** Those of `segs` no evidence lock covers (an alarm clip of the fixture's start locks a few). */
  const unlocked = async (segs: Segment[]) => {
    const out: Segment[] = [];
    for (const s of segs) if (!(await rec.index.isProtected(s))) out.push(s);
    return out;
  };
  /** Waits for `n` segments of cam-1 recorded from `sinceMs` on (one unbroken stretch). */
  const fresh = async (sinceMs: number, n: number) => {
    await expect
      .poll(async () => (await cam1()).filter((s) => s.startMs >= sinceMs).length, { timeout: 90_000 })
      .toBeGreaterThanOrEqual(n);
    return (await cam1()).filter((s) => s.startMs >= sinceMs);
  };
  let sinceTest2 = 0;
  /** A real pass by age whose cutoff is `cutoffMs`: what ended before it and nobody holds or locks goes. */
  const purgeBefore = (cutoffMs: number) =>
    new RetentionMaintainer({
      index: rec.index,
      paths: [{ path: storage }],
      retentionDays: (Date.now() - cutoffMs) / 86_400_000,
      minFreeHours: 0,
      log: silentLogger,
    }).runOnce();
  const note = () => page.locator('.pb-tile .pb-note').textContent();
  /** `录像恢复于 HH:MM:SS` as the tile says it of footage starting at `ms` (Beijing time, to the second). */
  const resumesAt = (ms: number) => `录像恢复于 ${beijing(ms).slice(11, 19)}`;
  /** The page drops off the network for holds: what it has open is no longer held. */
  const dropHolds = async () => {
    await page.route('**/api/recordings/holds**', (r) => r.abort());
    await svc.svc.need('store').k.deleteFrom('playback_holds').execute();
  };
  /**
   * cam-1's never-recorded stretch of the next test (a real stream loss), when the page was asked for,
   * and a moment by which it had opened: its player's range ends between the two (the page's "now").
   */
  let lost: { startMs: number; endMs: number } = { startMs: 0, endMs: 0 };
  let openedAt = 0;
  let rangeEndBy = 0;

  beforeAll(async () => {
    ({ rtsp, svc, rec } = await startRecordingCity());
    storage = `${svc.dataDir}/recordings`;
    ({ browser, page } = await investigatorPage(svc));
    await waitForSegments(rec, 'cam-1', 45, 90_000);
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  it('retention passes over the footage the player has open, and takes it once the view closes', async () => {
    const segs = await cam1();
    const at = segs[2]!.startMs + 300;
    await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(at).toISOString()}`);
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    // The page holds its camera around the playhead, for its user.
    const rows = await heldRows();
    expect(rows.map((r) => [r.camera, r.holder])).toEqual([['cam-1', 'inv']]);
    expect(Number(rows[0]!.start_ms)).toBeLessThanOrEqual(segs[0]!.startMs);

    const bank = await rec.index.segments('cam-2', 0, Number.MAX_SAFE_INTEGER);
    const pass = await purge();
    // The cap took the other camera's footage, not the footage on the investigator's screen.
    expect(pass.byBytes).toBeGreaterThanOrEqual(bank.length);
    expect((await cam1()).slice(0, segs.length).map((s) => s.id)).toEqual(segs.map((s) => s.id));
    expect(segs.every(onDisk)).toBe(true);
    // And it plays on, through footage that would have been purged.
    await page.locator('#pb-play').click();
    await expect.poll(() => position(page), { timeout: 10_000 }).toBeGreaterThan(at + 3000);
    await page.locator('#pb-play').click();
    expect(await page.locator('.pb-tile[data-state=gone], .tl-gone').count()).toBe(0);

    // The view closes (another page): its hold goes, and the next pass takes that footage.
    await page.goto(`${svc.httpUrl}/#/queue`);
    await expect.poll(async () => (await heldRows()).length, { timeout: 5000 }).toBe(0);
    await purge();
    const free = await unlocked(segs);
    expect(free.length).toBeGreaterThan(30);
    expect(free.some(onDisk)).toBe(false);
    sinceTest2 = Date.now();
  }, 60_000);

  it('a file lost under the index is marked on the timeline, named on the tile, and played past', async () => {
    const segs = await fresh(sinceTest2, 12);
    // Removed by hand (a disk fault looks the same): the rows stay, the files do not.
    for (const s of segs.slice(4, 7)) await unlink(resolveInside(s.storage, s.path));
    await page.goto(
      `${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(segs[2]!.startMs + 300).toISOString()}`,
    );
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    // Loading ahead found them gone: drawn on the timeline before the playhead gets there.
    await page.locator('#timeline .tl-gone[data-code=no_file]').first().waitFor({ timeout: 10_000 });
    await page.locator('#pb-play').click();
    await expect.poll(() => position(page), { timeout: 15_000 }).toBeGreaterThan(segs[6]!.endMs + 500);
    await page.locator('#pb-play').click();
    expect(await page.locator('#pb-status').textContent()).toContain('已跳过已清理的录像');
    // Paused on it, the tile says what happened to this footage.
    await page.locator('#pb-goto').fill(beijing(segs[5]!.startMs));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=gone]').waitFor();
    expect(await page.locator('.pb-tile .pb-note').textContent()).toContain(
      '此段录像文件已丢失（被删除或磁盘故障）',
    );
  }, 120_000);

  it('footage purged while the hold had lapsed reads as purged on the tile and the timeline', async () => {
    const segs = await fresh(sinceTest2, 50);
    // Past the files the test before removed, and another URL than its (the page opens anew).
    await page.goto(
      `${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(segs[8]!.startMs + 300).toISOString()}`,
    );
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    await expect.poll(async () => (await heldRows()).length, { timeout: 5000 }).toBe(1);
    // The laptop drops off the network: its hold is not renewed and lapses (its rows go, as the next
    // pass prunes them), and retention purges the footage the player listed.
    await page.route('**/api/recordings/holds**', (r) => r.abort());
    await svc.svc.need('store').k.deleteFrom('playback_holds').execute();
    await purge();
    expect((await unlocked(segs)).some(onDisk)).toBe(false);
    await page.unroute('**/api/recordings/holds**');
    // Far from what the player loaded (its first 24 segments and 20 s ahead of the playhead).
    const target = segs[48]!;
    await page.locator('#pb-goto').fill(beijing(target.startMs));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=gone]').waitFor({ timeout: 10_000 });
    const note = await page.locator('.pb-tile .pb-note').textContent();
    expect(note).toContain('此段录像已被清理（超过保存期限或为腾出磁盘空间）');
    await page.locator('#timeline .tl-gone[data-code=purged]').first().waitFor();
    await page.locator('.pb-zoom button[data-span="3600000"]').click();
    await playbackShot(page, '05-purged');
  }, 120_000);

  it('footage purged before the page opened reads as purged (tile, timeline), a stretch never recorded as no recording', async () => {
    // The view before closes: nothing is held.
    await page.goto(`${svc.httpUrl}/#/queue`);
    await expect.poll(async () => (await heldRows()).length, { timeout: 5000 }).toBe(0);
    // The camera loses its stream for 3 s (a real gap, written by the recorder) and records on.
    const lostFrom = Date.now();
    await rtsp.drop();
    await new Promise((r) => setTimeout(r, 3000));
    await rtsp.resume();
    await expect
      .poll(async () => (await rec.index.gaps('cam-1', lostFrom - 5000, Number.MAX_SAFE_INTEGER)).length, {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(1);
    const [gap] = await rec.index.gaps('cam-1', lostFrom - 5000, Number.MAX_SAFE_INTEGER);
    lost = { startMs: gap!.startMs, endMs: gap!.endMs };
    await fresh(lost.endMs, 15);
    // Retention purged the footage before: a moment of it with no segment and no recorder's gap.
    const { purgedFromMs, purgedUntilMs } = await rec.index.kept('cam-1');
    expect(purgedUntilMs).toBeLessThan(lost.startMs);
    let at = purgedUntilMs! - 1500;
    while (
      (await rec.index.segments('cam-1', at, at + 1)).length +
        (await rec.index.gaps('cam-1', at, at + 1)).length >
      0
    )
      at -= 1000;
    expect(at).toBeGreaterThan(purgedFromMs!);
    const firstKept = (await cam1()).find((s) => s.startMs > at)!;

    openedAt = Date.now();
    await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(at).toISOString()}`);
    await page.locator('.pb-tile[data-state=gap], .pb-tile[data-state=gone]').waitFor();
    rangeEndBy = Date.now();
    // Recorded and past its retention, not "no recording"; and where the kept footage begins.
    await expect.poll(note, { timeout: 10_000 }).toContain(resumesAt(firstKept.startMs));
    expect(await note()).toContain('此段录像已被清理（超过保存期限或为腾出磁盘空间）');
    expect(await note()).not.toContain('此时段无录像');
    expect(await page.locator('.pb-tile').getAttribute('data-state')).toBe('gone');
    await expect.poll(() => page.locator('#pb-status').textContent()).toBe('所选摄像机此时刻的录像已被清理');
    // The timeline hatches the purged stretch as 已清理 and names the oldest footage kept.
    const purged = page.locator('#timeline .tl-purged');
    await purged.first().waitFor();
    expect(await purged.first().getAttribute('title')).toContain('此段录像已被清理');
    expect(await purged.first().getAttribute('title')).toContain('最早保留的录像');
    await page.locator('.pb-zoom button[data-span="3600000"]').click();
    const box = (await page.locator('#timeline .tl-lanes').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 7; i++) await page.mouse.wheel(0, -100);
    await playbackShot(page, '06-retention-boundary');

    // The stream it lost is still a stretch the camera did not record, with the recorder's reason.
    await page.locator('#pb-goto').fill(beijing(lost.startMs + 1000));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=gap]').waitFor({ timeout: 10_000 });
    const after = (await cam1()).find((s) => s.startMs >= lost.endMs)!;
    await expect.poll(note, { timeout: 10_000 }).toContain(resumesAt(after.startMs));
    expect(await note()).toContain('此时段无录像 · 摄像机视频流中断');
    await expect.poll(() => page.locator('#pb-status').textContent()).toBe('所选摄像机在此时刻均无录像');
    expect(await page.locator('#timeline .tl-gap').count()).toBeGreaterThan(0);
  }, 120_000);

  it('录像恢复于 never names footage retention purged after the page listed it, nor when the player gets there', async () => {
    // Paused in the lost stretch, the tile named the first segment after it. The page then loses its
    // hold, and a real pass by age takes that segment and the next few.
    const listed = await cam1();
    const named = listed.find((s) => s.startMs >= lost.endMs)!;
    await dropHolds();
    await purgeBefore(named.endMs + 3000);
    // Listed, purged since, and holding a whole second (the go-to box takes seconds).
    const second = (x: { startMs: number }) => Math.ceil(x.startMs / 1000) * 1000;
    const target = listed.find(
      (s) => s.startMs >= named.startMs && second(s) < s.endMs && s.endMs <= named.endMs + 3000,
    )!;
    const kept = async (from: number) => (await cam1()).find((s) => s.startMs >= from)!;
    const next = await kept(named.endMs);
    expect(next.startMs).toBeGreaterThan(named.endMs);
    expect(next.startMs).toBeLessThan(openedAt);
    // Looked at again, the stretch names the footage kept now, not the purged segment it listed.
    await page.locator('#pb-goto').fill(beijing(lost.startMs + 1500));
    await page.locator('#pb-goto-btn').click();
    await expect.poll(note, { timeout: 10_000 }).toContain(resumesAt(next.startMs));
    expect(await note()).not.toContain(resumesAt(named.startMs));
    // The player gets to footage it listed there: gone, and the kept footage after it is named instead.
    expect((await cam1()).some((s) => s.id === target.id)).toBe(false);
    await page.locator('#pb-goto').fill(beijing(second(target)));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=gone]').waitFor({ timeout: 10_000 });
    await expect.poll(note, { timeout: 10_000 }).toContain(resumesAt(next.startMs));
    expect(await note()).toContain('此段录像已被清理');
    // Nothing kept after it inside the player's range: said so, no time named. The range ends where
    // the page opened; a one-second segment begun meanwhile is in it, so the pass waits for it to end.
    await fresh(rangeEndBy, 1);
    await purgeBefore(Date.now());
    await page.locator('#pb-goto').fill(beijing(lost.startMs + 1000));
    await page.locator('#pb-goto-btn').click();
    await expect.poll(note, { timeout: 10_000 }).toContain('此后（所选时段内）再无可播放的录像');
    expect(await note()).not.toContain('录像恢复于');
    await page.unroute('**/api/recordings/holds**');
  }, 120_000);
});
