import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from './console-helpers.js';

/** The shop's panel zone 1 sees camera cam-shop-1, fed by a real RTSP source. */
function cityWithCamera(rtspUrl: string): string {
  return CITY_YAML.replace(
    'zones: { "1": { name: 前门 }, "2": { name: 后门 } }',
    'zones: { "1": { name: 前门, cameras: [cam-shop-1] }, "2": { name: 后门 } }',
  ).concat(`
cameras:
  - { id: cam-shop-1, name: 金店门口, site: shop-1, rtsp: "${rtspUrl}", preroll: 2, postroll: 2 }
recording: { segmentSeconds: 1 }
`);
}

/** Whether a <video> inside `selector` has decoded frames and its clock moves. */
async function playing(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(async (sel) => {
    const v = document.querySelector<HTMLVideoElement>(`${sel} video`);
    if (!v || v.readyState < 2) return false;
    const t0 = v.currentTime;
    await new Promise((r) => setTimeout(r, 300));
    return v.currentTime > t0;
  }, selector);
}

describe('console with live video, recordings and export', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;

  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 640, height: 360, fps: 10 });
    svc = await startTestService({ yaml: cityWithCamera(rtsp.url('main')) });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await shop.connect();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    const password = await addUser(svc, 'op-video', 'operator', 'city');
    await loginInPage(page, svc.httpUrl, 'op-video', password);
  });

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  it('the incident page plays the linked camera live', async () => {
    const eventId = await shop.send('panic', { zone: '1' });
    await shop.waitForAck(eventId, 'received');
    const row = page.locator('#queue-list .row[data-site="shop-1"][data-kind=alarm]');
    await row.waitFor();
    await row.dblclick();
    await page.locator('#incident-view .video-box[data-camera="cam-shop-1"]').waitFor();
    await expect
      .poll(() => playing(page, '#incident-view .video-box[data-camera="cam-shop-1"]'), { timeout: 20_000 })
      .toBe(true);
    await shot(page, '12-incident-live');
  });

  it('the video wall embeds the live wall', async () => {
    await page.locator('#nav a[data-nav=wall]').click();
    await page.locator('#wall-view .live-wall-page').waitFor();
    // The operator takes the shop camera from the tree onto the wall (double-click: first free tile).
    await page.locator('#wall-view .live-tree-camera-name[data-camera="cam-shop-1"]').dblclick();
    await expect.poll(() => page.locator('#wall-view video').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => playing(page, '#wall-view'), { timeout: 20_000 }).toBe(true);
    await shot(page, '13-wall-live');
  });

  it('the investigator finds the footage, plays it and exports it with progress', async () => {
    await page.locator('#nav a[data-nav=investigate]').click();
    await page.locator('#inv-camera').selectOption('cam-shop-1');
    await expect
      .poll(
        async () => {
          await page.locator('.inv-form button[type=submit]').click();
          return page.locator('#rec-bar .rec-run').count();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBeGreaterThan(0);
    await page.locator('#play-range').click();
    await expect.poll(() => playing(page, '.inv-view'), { timeout: 20_000 }).toBe(true);
    await page.locator('#inv-export input[name=reason]').fill('案件调查 test');
    await page.locator('#export-start').click();
    await page.locator('#inv-export .progress').waitFor();
    await page.locator('#inv-export a.button[download]').waitFor({ timeout: 30_000 });
    await page.locator('#inv-export #verify-file').waitFor({ state: 'attached' });
    await shot(page, '14-investigate-export');
  });

  it('the investigator downloads the export and verifies it in the browser; a tampered copy names the file', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#inv-export a.button[download]').click(),
    ]);
    const zip = join(svc.dataDir, 'downloaded-export.zip');
    await download.saveAs(zip);
    const verdict = page.locator('#verify-result .verify-verdict');

    await page.locator('#verify-file').setInputFiles(zip);
    await expect.poll(() => verdict.getAttribute('class'), { timeout: 15_000 }).toContain('ok');
    expect(await page.locator('#verify-result .verify-signature').getAttribute('data-signature')).toBe(
      'valid',
    );
    const files = page.locator('#verify-result .verify-files li');
    expect(await files.evaluateAll((els) => els.map((e) => [e.dataset.file, e.className]))).toEqual([
      ['clips/cam-shop-1.mp4', 'ok'],
      ['site-ed25519.pub', 'ok'],
    ]);
    await page.locator('#verify-result').scrollIntoViewIfNeeded();
    await shot(page, '15-investigate-verify-ok');

    const bad = readFileSync(zip);
    bad[200] = (bad[200]! + 1) % 256; // inside the clip's bytes (stored, not deflated)
    const tampered = join(svc.dataDir, 'tampered-export.zip');
    writeFileSync(tampered, bad);
    await page.locator('#verify-file').setInputFiles(tampered);
    await expect.poll(() => verdict.getAttribute('class'), { timeout: 15_000 }).toContain('bad');
    expect(
      await page.locator('#verify-result li[data-file="clips/cam-shop-1.mp4"]').getAttribute('class'),
    ).toBe('bad');
    expect(await page.locator('#verify-result .verify-problems').textContent()).toMatch(
      /clips\/cam-shop-1\.mp4: SHA-256/,
    );
    expect(await verdict.textContent()).toContain('tampered-export.zip');
    await page.locator('#verify-result').scrollIntoViewIfNeeded();
    await shot(page, '16-investigate-verify-tampered');
    expect(
      svc.svc
        .need('audit')
        .list({ action: 'evidence.verify' })
        .map((a) => a.detail?.['ok']),
    ).toEqual([
      false, // newest first
      true,
    ]);
  });
});
