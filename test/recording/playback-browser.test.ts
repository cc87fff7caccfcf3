import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import { decodeImageFile, ffmpeg } from '../../models/image.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { verifyExport } from '../../streams/evidence-verify.js';
import { signedUrl } from '../helpers/media.js';
import { api, type TestService } from '../helpers/service.js';
import { unzip } from '../helpers/zip.js';
import { probeTiming } from '../streams/media-probe.js';
import { beijing, investigatorPage, playbackShot, position } from './player-page.js';
import { startRecordingCity, waitForSegments } from './recording-fixture.js';

const FRAME_MS = 1000 / 15;
const shot = playbackShot;

/** The wall clock each tile's <video> shows. */
const tileWall = (page: Page, camera: string) =>
  page.evaluate((cam) => {
    const grid = document.querySelector<HTMLElement>('.pb-grid')!;
    const v = document.querySelector<HTMLVideoElement>(`.pb-tile[data-camera="${cam}"] video`)!;
    return Number(grid.dataset['origin']) + v.currentTime * 1000;
  }, camera);

describe('the investigator plays recorded footage in headless Chromium', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  let browser: Browser;
  let page: Page;
  /** Every URL the investigation page asked for, and what the browser refused under the CSP. */
  const requested: string[] = [];
  const refused: string[] = [];
  /** What the API refused the investigator: the console asks for nothing its user may not see. */
  const forbidden: string[] = [];

  /**
   * Which recorded frame the tile shows: the screen is compared with frames decoded by ffmpeg from
   * the segment file at media time `at` and at a frame and half a second either side. The simulator's
   * running-time overlay changes every frame, so only the right frame matches. Returns the offset (in
   * frames) of the best match: 0 when the player shows exactly the frame of wall time `at`.
   */
  async function shownFrame(camera: string, at: number): Promise<number> {
    const seg = (await rec.index.segments(camera, at, at + 1))[0]!;
    const video = page.locator(`.pb-tile[data-camera="${camera}"] video`);
    const box = (await video.boundingBox())!;
    // object-fit: contain of a 320x240 picture in the tile's box, whole pixels.
    const scale = Math.min(box.width / 320, box.height / 240);
    const w = Math.floor(320 * scale);
    const hgt = Math.floor(240 * scale);
    const clip = {
      x: Math.ceil(box.x + (box.width - w) / 2),
      y: Math.ceil(box.y + (box.height - hgt) / 2),
      width: w - 2,
      height: hgt - 2,
    };
    const file = join(svc.dataDir, 'screen.png');
    writeFileSync(file, await page.screenshot({ clip }));
    const screen = await decodeImageFile(file);
    // The frame whose display interval holds `at`; ffmpeg's -ss keeps frames from t on, so t is a
    // hair before that frame's start.
    const first = Math.floor(((at - seg.startMs) * 15) / 1000 + 1e-6) / 15;
    const diff = async (frames: number) => {
      const t = Math.max(0, first + frames / 15 - 0.001);
      const pam = await ffmpeg([
        ...['-ss', t.toFixed(4), '-i', join(seg.storage, seg.path), '-frames:v', '1'],
        ...['-vf', `scale=${w}:${hgt},crop=${clip.width}:${clip.height}:0:0`],
        ...['-f', 'image2pipe', '-c:v', 'pam', '-pix_fmt', 'rgb24', '-'],
      ]);
      const data = pam.subarray(pam.indexOf('ENDHDR\n') + 7);
      let sum = 0;
      for (let i = 0; i < screen.data.length; i++) sum += Math.abs(screen.data[i]! - (data[i] ?? 0));
      return sum / screen.data.length;
    };
    const candidates = [0, -1, 1, -7, 7];
    const scores = await Promise.all(candidates.map(diff));
    return candidates[scores.indexOf(Math.min(...scores))]!;
  }

  beforeAll(async () => {
    ({ rtsp, svc, rec } = await startRecordingCity());
    ({ browser, page } = await investigatorPage(svc, (p) => {
      p.on('request', (r) => requested.push(r.url()));
      p.on('response', (r) => {
        if (r.status() === 401 || r.status() === 403) forbidden.push(`${r.status()} ${r.url()}`);
      });
      p.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
      });
    }));
    await waitForSegments(rec, 'cam-1', 20, 40_000);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  it('opens a camera at a time: timeline, wall-clock readout, that moment on screen', async () => {
    const segs = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    const at = segs[5]!.startMs + 500;
    await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(at).toISOString()}`);
    await page.locator('#timeline .tl-run').first().waitFor();
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    expect(await position(page)).toBe(at);
    expect(Math.abs((await tileWall(page, 'cam-1')) - at)).toBeLessThan(FRAME_MS);
    expect(await page.locator('#pb-clock').textContent()).toBe(
      `${beijing(at).replace('T', ' ')}.${String(at % 1000).padStart(3, '0')}`,
    );
    // The frame on screen is the recorded frame of that moment, not one near it.
    expect(await shownFrame('cam-1', at)).toBe(0);
    await shot(page, '01-open-at-time');
  });

  it('a typed time is on screen within a second, without a new stream', async () => {
    const segs = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    const target = segs[12]!.startMs + 2300;
    const before = (await svc.svc.need('audit').list({ action: 'footage.view' })).length;
    await page.locator('#pb-goto').fill(beijing(target));
    const t0 = Date.now();
    await page.locator('#pb-goto-btn').click();
    await expect
      .poll(() => position(page), { timeout: 5000, interval: 20 })
      .toBe(Math.floor(target / 1000) * 1000);
    await expect
      .poll(async () => Math.abs((await tileWall(page, 'cam-1')) - Math.floor(target / 1000) * 1000), {
        timeout: 5000,
        interval: 20,
      })
      .toBeLessThan(FRAME_MS);
    expect(Date.now() - t0).toBeLessThan(3000); // the benchmark measures it properly (bench/playback-seek.ts)
    expect(await shownFrame('cam-1', Math.floor(target / 1000) * 1000)).toBe(0);
    // Inside the window already opened: no new audited view was needed.
    expect(await svc.svc.need('audit').list({ action: 'footage.view' })).toHaveLength(before);
  });

  it('a drag on the timeline seeks to the time under the pointer', async () => {
    const tl = (await page.locator('#timeline .tl-lanes').boundingBox())!;
    const [a, b] = await page.evaluate(() => {
      const runs = Array.from(document.querySelectorAll<HTMLElement>('#timeline .tl-run'));
      const r = runs[runs.length - 1]!.getBoundingClientRect();
      return [r.left, r.right];
    });
    const x = a + (b - a) * 0.5;
    await page.mouse.move(x - 40, tl.y + 10);
    await page.mouse.down();
    await page.mouse.move(x, tl.y + 10, { steps: 5 });
    await page.mouse.up();
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    const head = Number(await page.locator('#timeline .tl-head').getAttribute('data-ms'));
    await expect.poll(() => position(page), { timeout: 3000 }).toBeCloseTo(head, -2);
    // The go-to box follows: it names the second the drag went to. (On a whole minute the browser
    // gives the value in its normalized form, without `:00`: one drag in sixty.)
    const goto = await page.locator('#pb-goto').inputValue();
    expect(goto.length === 16 ? `${goto}:00` : goto).toBe(beijing(Math.floor(head / 1000) * 1000));
    await expect
      .poll(async () => Math.abs((await tileWall(page, 'cam-1')) - head), { timeout: 5000 })
      .toBeLessThan(FRAME_MS);
  });

  it('plays at 1x and 4x, steps a frame each way, steps and plays back by keyframe', async () => {
    const segs = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    await page.locator('#pb-goto').fill(beijing(segs[3]!.startMs));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    let p0 = await position(page);
    await page.locator('#pb-play').click();
    await page.waitForTimeout(3000);
    let moved = (await position(page)) - p0;
    expect(moved).toBeGreaterThan(2300);
    expect(moved).toBeLessThan(3700);
    await page.locator('#pb-rate').selectOption('4');
    p0 = await position(page);
    await page.waitForTimeout(2000);
    moved = (await position(page)) - p0;
    expect(moved).toBeGreaterThan(5500);
    expect(moved).toBeLessThan(10_000);
    await page.locator('#pb-play').click(); // pause
    await page.locator('#pb-rate').selectOption('1');
    expect(
      await page.evaluate(() => document.querySelector<HTMLVideoElement>('.pb-tile video')!.paused),
    ).toBe(true);

    p0 = await position(page);
    await page.locator('#pb-frame-fwd').click();
    await expect
      .poll(async () => (await position(page)) - p0, { timeout: 3000 })
      .toBeGreaterThan(FRAME_MS * 0.8);
    expect((await position(page)) - p0).toBeLessThan(FRAME_MS * 1.5);
    p0 = await position(page);
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(async () => p0 - (await position(page)), { timeout: 3000 })
      .toBeGreaterThan(FRAME_MS * 0.8);

    // Keyframes are every second of media time in this source: a step back lands on one.
    const keys = (await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER)).flatMap((s) =>
      s.keyframes.map((k) => s.startMs + k),
    );
    p0 = await position(page);
    await page.locator('#pb-kf-back').click();
    await expect.poll(() => position(page), { timeout: 3000 }).toBeLessThan(p0);
    expect(keys).toContain(await position(page));
    p0 = await position(page);
    await page.locator('#pb-reverse').click();
    await page.waitForTimeout(2500);
    await page.locator('#pb-play').click(); // stop
    expect(p0 - (await position(page))).toBeGreaterThan(1500);
    expect(keys).toContain(await position(page));
    await shot(page, '02-stepped-back');
  }, 60_000);

  it('a gap shows as a gap: marked on the timeline, named on the tile, skipped in play', async () => {
    await rtsp.drop();
    await new Promise((r) => setTimeout(r, 3000));
    await rtsp.resume();
    await expect
      .poll(async () => (await rec.index.gaps('cam-1', 0, Number.MAX_SAFE_INTEGER)).length, {
        timeout: 30_000,
      })
      .toBe(1);
    const [gap] = await rec.index.gaps('cam-1', 0, Number.MAX_SAFE_INTEGER);
    await waitForSegments(
      rec,
      'cam-1',
      (await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER)).length + 4,
    );
    await page.goto(
      `${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(gap!.startMs + 1000).toISOString()}`,
    );
    await page.locator('#timeline .tl-gap').first().waitFor();
    await page.locator('.pb-tile[data-state=gap]').waitFor();
    const note = await page.locator('.pb-tile .pb-note').textContent();
    expect(note).toContain('此时段无录像');
    expect(note).toContain('摄像机视频流中断');
    await page.locator('#timeline button, .pb-zoom button[data-span="3600000"]').first().click();
    await shot(page, '03-gap');
    // Play from 2 s before the gap: the player jumps it, says so, and plays on after it.
    await page.locator('#pb-goto').fill(beijing(gap!.startMs - 2000));
    await page.locator('#pb-goto-btn').click();
    await page.locator('.pb-tile[data-state=ready]').waitFor();
    await page.locator('#pb-play').click();
    await expect.poll(() => position(page), { timeout: 15_000 }).toBeGreaterThan(gap!.endMs + 500);
    expect(await page.locator('#pb-status').textContent()).toContain('已跳过无录像时段');
    expect(Math.abs((await tileWall(page, 'cam-1')) - (await position(page)))).toBeLessThan(400);
    await page.locator('#pb-play').click();
  }, 90_000);

  it('footage that stops short of its index entry is played past, not waited for', async () => {
    const [gap] = await rec.index.gaps('cam-1', 0, Number.MAX_SAFE_INTEGER);
    const before = (await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER))
      .filter((s) => s.endMs <= gap!.startMs + 1)
      .at(-1)!;
    // The index claims 1.5 s more of the last segment before the gap than its file holds (the gap
    // moved with it): the media ends, no more is coming for that segment, and the clock must go on.
    const k = svc.svc.need('store').k;
    const shift = async (by: number) => {
      await k
        .updateTable('recording_segments')
        .set({ end_ms: before.endMs + by })
        .where('path', '=', before.path)
        .execute();
      await k
        .updateTable('recording_gaps')
        .set({ start_ms: gap!.startMs + by })
        .where('camera', '=', 'cam-1')
        .where('end_ms', '=', gap!.endMs)
        .execute();
    };
    await shift(1500);
    try {
      await page.goto(
        `${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(before.endMs - 1500).toISOString()}`,
      );
      await page.locator('.pb-tile[data-state=ready]').waitFor();
      await page.locator('#pb-play').click();
      await expect.poll(() => position(page), { timeout: 15_000 }).toBeGreaterThan(gap!.endMs + 500);
      await page.locator('#pb-play').click();
    } finally {
      await shift(0);
    }
  }, 60_000);

  it('a seek past what the index knew when the page asked finds the footage recorded since', async () => {
    const segs = await waitForSegments(rec, 'cam-1', 6);
    // A whole second (the go-to box's unit) inside the newest segment, and one 3 s earlier. The
    // segments are 1 s long and cut in step with the wall clock, so when they start just past a whole
    // second every one holds its whole second in its last 100 ms: then that is where it is sought.
    const holds = (x: { startMs: number; endMs: number }, margin: number) =>
      Math.ceil(x.startMs / 1000) * 1000 < x.endMs - margin;
    const last = segs.findLast((x) => holds(x, 100)) ?? segs.findLast((x) => holds(x, 0))!;
    const at = Math.ceil(last.startMs / 1000) * 1000;
    const earlier = segs.find((x) => x.startMs <= at - 3000 && x.endMs > at - 3000)!;
    expect(earlier).toBeDefined();
    // The page's first index answer is the one it would have had a moment earlier: without the
    // newest segment (still open then). Later answers are the service's own.
    let trimmed = false;
    await page.route('**/api/recordings/index?*', async (route) => {
      const response = await route.fetch();
      if (trimmed) return route.fulfill({ response });
      trimmed = true;
      const body = (await response.json()) as { segments: { end: number }[]; gaps: { end: number }[] };
      body.segments = body.segments.filter((x) => x.end <= last.startMs);
      body.gaps = body.gaps.filter((x) => x.end <= last.startMs);
      return route.fulfill({ response, json: body });
    });
    try {
      await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1/${new Date(at - 3000).toISOString()}`);
      // Only the hash changed: the page is the same document, and the tile of the test before is
      // still there, ready, until the page has asked for this moment's index.
      await expect.poll(() => trimmed, { timeout: 10_000 }).toBe(true);
      await page.locator('.pb-tile[data-state=ready]').waitFor();
      await page.waitForTimeout(1200);
      await page.locator('#pb-goto').fill(beijing(at));
      await page.locator('#pb-goto-btn').click();
      await expect
        .poll(async () => Math.abs((await tileWall(page, 'cam-1')) - at), { timeout: 5_000 })
        .toBeLessThan(400);
      expect(await page.locator('.pb-tile').getAttribute('data-state')).toBe('ready');
    } finally {
      await page.unroute('**/api/recordings/index?*');
    }
  });

  it('two cameras play on one clock', async () => {
    const segs = await rec.index.segments('cam-2', 0, Number.MAX_SAFE_INTEGER);
    // A moment both cameras recorded, with seconds of footage after it: past the dropped stream's
    // gap on either camera (each camera's first segment after it starts at its own reconnect).
    const gaps = [
      ...(await rec.index.gaps('cam-1', 0, Number.MAX_SAFE_INTEGER)),
      ...(await rec.index.gaps('cam-2', 0, Number.MAX_SAFE_INTEGER)),
    ];
    const at = Math.max(segs[segs.length - 8]!.startMs, ...gaps.map((g) => g.endMs + 1000));
    expect(segs.at(-1)!.endMs - at).toBeGreaterThan(4000);
    await page.goto(`${svc.httpUrl}/#/investigate/camera/cam-1,cam-2/${new Date(at).toISOString()}`);
    await expect.poll(() => page.locator('.pb-tile[data-state=ready]').count(), { timeout: 10_000 }).toBe(2);
    await page.locator('#pb-play').click();
    await page.waitForTimeout(2500);
    for (let i = 0; i < 3; i++) {
      const [a, b] = [await tileWall(page, 'cam-1'), await tileWall(page, 'cam-2')];
      expect(Math.abs(a - b)).toBeLessThan(300);
      await page.waitForTimeout(300);
    }
    expect((await position(page)) - at).toBeGreaterThan(1500);
    await page.locator('#pb-play').click();
    await shot(page, '04-two-cameras');
  });

  it('on an incident: bookmark with a note kept with it, export the marked range, see durations', async () => {
    const token = await svc.login('op', 'operator', 'city');
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1-pb', // a panel's client id starts with its username (main's binding)
    });
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'pb-1', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    await panel.endAsync();
    let incident = '';
    await expect
      .poll(
        async () => {
          const list = (
            await api<{ incidents: { id: string; clips: unknown[] }[] }>(
              `${svc.httpUrl}/api/incidents?site=shop-1`,
              token,
            )
          ).body.incidents;
          incident = list[0]?.id ?? '';
          return list[0]?.clips.length ?? 0;
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await page.goto(`${svc.httpUrl}/#/investigate/incident/${incident}`);
    await page.locator('#pb-incident li[data-clip]').waitFor();
    // Cameras by the names people gave them, the incident by its whole number.
    expect(await page.locator('#pb-incident li[data-clip]').textContent()).toMatch(
      /^ 店门口 · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d – \d\d:\d\d:\d\d · \d+\.\d 秒/,
    );
    expect(await page.locator('#pb-incident li[data-lock]').first().textContent()).toMatch(
      /^店门口 · .* · 报警录像$/,
    );
    expect(await page.locator('.inv-incidents').textContent()).toContain(`警情 ${incident} · `);
    // The alarm clip plays in its own <video> from a signed URL (a <video> cannot send the header).
    await page.locator('#pb-incident li[data-clip] button').first().click();
    const clip = page.locator('video.inv-clip');
    await expect
      .poll(() => clip.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await clip.evaluate((v: HTMLVideoElement) => v.src)).toMatch(/\/api\/clips\/[^/?]+\?token=m1\./);
    await page.locator('.pb-tile[data-state=ready]').waitFor();

    await page.locator('#pb-note').fill('嫌疑人从前门进入');
    await page.locator('#pb-bookmark').click();
    await page.locator('#pb-incident li[data-bookmark]').waitFor();
    expect(await page.locator('#pb-incident li[data-bookmark]').textContent()).toMatch(
      / · 店门口 · 嫌疑人从前门进入 · /,
    );
    await page.locator('#timeline .tl-bookmark').first().waitFor();
    const marks = (
      await api<{ bookmarks: { note: string; camera: string }[] }>(
        `${svc.httpUrl}/api/bookmarks?incident=${incident}`,
        token,
      )
    ).body;
    expect(marks.bookmarks).toEqual([expect.objectContaining({ note: '嫌疑人从前门进入', camera: 'cam-1' })]);
    expect((await rec.index.locks({ incidentId: incident })).map((l) => l.reason)).toContain(
      `bookmark ${(await rec.store.bookmarks({ incidentId: incident }))[0]!.id}`,
    );

    // In and out 6 s apart (the out mark where the alarm clip starts), export, and the export says
    // what it covers.
    const out = await position(page);
    await page.locator('#pb-goto').fill(beijing(out - 6000));
    await page.locator('#pb-goto-btn').click();
    const p0 = Math.floor((out - 6000) / 1000) * 1000;
    await expect.poll(() => position(page), { timeout: 3000 }).toBe(p0);
    await page.keyboard.press('i');
    await page.locator('#pb-goto').fill(beijing(out));
    await page.locator('#pb-goto-btn').click();
    await expect.poll(() => position(page), { timeout: 3000 }).toBe(Math.floor(out / 1000) * 1000);
    await page.keyboard.press('o');
    await page.locator('#timeline .tl-sel').waitFor();
    await page.locator('#pb-reason').fill('案件 2026/17 调取');
    await page.locator('#export-start').click();
    const link = page.locator('#pb-exports a.button[download]');
    await link.waitFor({ timeout: 30_000 });
    const range = await page.locator('#pb-exports .pb-range').first().textContent();
    expect(range).toMatch(/^店门口: .* · \d+\.\d 秒$/);
    expect(await page.locator('#pb-exports .pb-export > div').first().textContent()).toMatch(
      / · 100% · 店门口$/,
    );
    await shot(page, '05-incident-bookmark-export');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    // Signed at the click, short-lived and bound to this session: never the session token (issue 15).
    expect(download.url()).toMatch(/\/api\/exports\/[^/?]+\/download\?token=m1\./);
    const zip = join(svc.dataDir, 'marked.zip');
    await download.saveAs(zip);
    expect(await verifyExport(zip)).toMatchObject({ ok: true });
    const entries = await unzip(zip);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as {
      incident: string;
      cameras: { from: string; to: string; duration: number }[];
    };
    expect(manifest.incident).toBe(incident);
    const cam = manifest.cameras[0]!;
    // From the keyframe at or before the in mark to the end of the segment holding the out mark.
    expect(Date.parse(cam.from)).toBeLessThanOrEqual(Math.floor(p0 / 1000) * 1000 + 1);
    expect(Date.parse(cam.to)).toBeGreaterThanOrEqual(Math.floor(out / 1000) * 1000);
    const file = join(svc.dataDir, 'marked-cam-1.mp4');
    writeFileSync(file, entries.get('clips/cam-1.mp4')!);
    const t = await probeTiming(file);
    expect(Math.abs(t.duration - cam.duration)).toBeLessThan(FRAME_MS / 1000);
    // MP4 keeps whole seconds in creation_time; the manifest has the millisecond.
    expect(t.creationTime).toBe(`${cam.from.slice(0, 19)}.000000Z`);
  }, 90_000);

  it('no session token in any URL the player fetched, nothing refused by the CSP', async () => {
    const session = await page.evaluate(() => localStorage.getItem('sharpeyes.token'));
    expect(session).toBeTruthy();
    expect(requested.filter((u) => u.includes(session!))).toEqual([]);
    // A `token=` in a URL is only ever a short-lived signed media token (m1.…).
    expect(requested.filter((u) => /[?&]token=(?!m1\.)/.test(u))).toEqual([]);
    // The segments went with the Authorization header: many fetched, none signed.
    expect(requested.filter((u) => u.includes('/api/recordings/segments/')).length).toBeGreaterThan(10);
    expect(refused).toEqual([]);
    expect(forbidden).toEqual([]);
  });

  it('the issue-6 range route plays in a plain <video> from a signed URL', async () => {
    const segs = await waitForSegments(rec, 'cam-1', 4);
    const token = await svc.login('inv-plain', 'investigator', 'city');
    const from = new Date(segs[0]!.startMs).toISOString();
    const to = new Date(segs[3]!.endMs).toISOString();
    // A <video src> cannot send a header: a short-lived signed media URL (issue 15).
    const src = await signedUrl(
      svc.httpUrl,
      token,
      `/api/recordings/play?camera=cam-1&from=${from}&to=${to}`,
    );
    const p = await browser.newPage();
    await p.goto(`${svc.httpUrl}/api/health`);
    await p.setContent(`<video id="v" muted autoplay playsinline src="${src}"></video>`);
    await p.waitForFunction(
      () => (document.getElementById('v') as HTMLVideoElement).currentTime > 1.5,
      null,
      {
        timeout: 15_000,
      },
    );
    // The same URL without its signature is refused.
    const bare = await fetch(src.replace(/&token=[^&]+/, ''));
    expect(bare.status).toBe(401);
    await p.close();
  });
});
