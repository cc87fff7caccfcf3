import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { silentLogger } from '../../src/log.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { CameraRecorder } from '../../streams/recorder.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { feedTestStream } from '../streams/recording-fixture.js';
import {
  addUser,
  CITY_YAML,
  launchChromium,
  loginInPage,
  shopWithPanic,
  shot,
  wrappedTexts,
} from './console-helpers.js';

/**
 * The shop's zone 1 sees two cameras, so its panic gets two alarm clips. Their footage is recorded
 * into the index beforehand (real segments of encoded video; the cameras' RTSP is unreachable, so the
 * live tiles show their placeholders), and the service cuts the clips itself, as for a real alarm.
 */
const YAML = CITY_YAML.replace(
  'zones: { "1": { name: 前门 }, "2": { name: 后门 } }',
  'zones: { "1": { name: 前门, cameras: [cam-shop-1, cam-shop-2] }, "2": { name: 后门 } }',
).concat(`
cameras:
  - { id: cam-shop-1, name: 金店门口, site: shop-1, rtsp: "rtsp://127.0.0.1:9/door", preroll: 2, postroll: 2 }
  - { id: cam-shop-2, name: 金店柜台, site: shop-1, rtsp: "rtsp://127.0.0.1:9/counter", preroll: 2, postroll: 2 }
recording: { enabled: false, segmentSeconds: 2 }
`);

/** Where the n-th alarm clip sits against the viewport and against the card that holds it. */
async function clipPlacement(page: Page, n: number) {
  return page.evaluate((i) => {
    const clip = document.querySelectorAll<HTMLElement>('.media-card .clip')[i];
    const card = clip?.closest<HTMLElement>('.card');
    if (!clip || !card) return undefined;
    const c = clip.getBoundingClientRect();
    const k = card.getBoundingClientRect();
    return {
      inViewport: c.top >= 0 && c.bottom <= window.innerHeight && c.left >= 0 && c.right <= window.innerWidth,
      insideCard: c.top >= k.top && c.bottom <= k.bottom + 0.5,
      // Nothing of the card hidden behind its own scrollbar (the still under the clips included).
      cardScrolls: card.scrollHeight > card.clientHeight + 1,
      width: Math.round(c.width),
    };
  }, n);
}

describe('incident page: every alarm clip is in sight', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let incidentId: string;
  let password: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: YAML });
    const rec = svc.svc.part<RecordingPart>('recording');
    const base = Date.now() - 10_000;
    for (const camera of ['cam-shop-1', 'cam-shop-2']) {
      const r = new CameraRecorder(camera, {
        index: rec.index,
        writer: rec.writer,
        storageFor: () => `${svc.dataDir}/recordings`,
        segmentSeconds: 2,
        log: silentLogger,
      });
      await feedTestStream(r, { baseMs: base, seconds: 30 });
      r.onEnd('end of test footage');
      await r.stop();
    }
    shop = await shopWithPanic(svc);
    const token = await svc.login('inv-api', 'investigator', 'city');
    // Both clips cut (postroll 2 s, then the cut): the incident names them.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${svc.httpUrl}/api/incidents`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as { incidents: { id: string; site: string; clips?: unknown[] }[] };
      const inc = body.incidents.find((i) => i.site === 'shop-1');
      incidentId = inc?.id ?? '';
      if ((inc?.clips?.length ?? 0) >= 2) break;
      if (Date.now() > deadline)
        throw new Error(`the shop's incident has ${inc?.clips?.length ?? 0} clips, not 2`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // The shop armed (after the clips were cut): its panel line in the site card is at its longest.
    await shop.send('arm', { cid: 'R401' });
    password = await addUser(svc, 'op-clips', 'operator', 'city');
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it.each([
    [1280, 800, false],
    [1366, 768, false],
    [1400, 1000, true],
    [1920, 1080, true],
  ])('at %i×%i both clips are whole on screen, none cut by its card', async (width, height, whole) => {
    const context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
    const page = await context.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-clips', password);
      await page.goto(`${svc.httpUrl}/#/incident/${incidentId}`);
      await page.locator('.media-card .clip video').nth(1).waitFor();
      // The clips' metadata loaded: the layout is final.
      await expect
        .poll(() =>
          page
            .locator('.media-card .clip video')
            .evaluateAll((vs) => vs.filter((v) => (v as HTMLVideoElement).readyState >= 1).length),
        )
        .toBe(2);
      await shot(page, `incident-clips-${width}`);
      // The site card's panel line wraps between its words, never inside one ("在/线", "外出布/防").
      const panelWords = page.locator('.site-card .panel > span');
      await expect.poll(() => page.locator('.site-card .panel').textContent()).toContain('外出布防');
      expect(await wrappedTexts(panelWords)).toEqual([]);
      for (const n of [1, 0]) {
        const p = await clipPlacement(page, n);
        expect({ clip: n, ...p }).toMatchObject({ clip: n, inViewport: true, insideCard: true });
        // From 1400x1000 the whole card fits; a laptop's height may leave the still under the clips
        // below the card's fold (the clips themselves are whole above it).
        if (whole) expect(p!.cardScrolls).toBe(false);
        // Large enough for an officer to see what happens in it.
        expect(p!.width).toBeGreaterThanOrEqual(240);
      }
    } finally {
      await context.close();
    }
  });
});
