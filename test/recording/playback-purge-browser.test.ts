import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
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
});
