import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import type { TestService } from '../helpers/service.js';
import { startRecordingCity, waitForSegments } from './recording-fixture.js';

/** Playback of recorded footage in a real browser: a plain `<video src>` on the playback route. */
describe('recorded footage plays in headless Chromium', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  let browser: Browser;
  beforeAll(async () => {
    ({ rtsp, svc, rec } = await startRecordingCity());
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  it('plays a range spanning several segments from the first frame', async () => {
    const segs = await waitForSegments(rec, 'cam-1', 4);
    const token = await svc.login('inv', 'investigator', 'city');
    const from = new Date(segs[0]!.startMs).toISOString();
    const to = new Date(segs[3]!.endMs).toISOString();
    const src = `${svc.httpUrl}/api/recordings/play?camera=cam-1&from=${from}&to=${to}&token=${token}`;
    const page = await browser.newPage();
    await page.goto(`${svc.httpUrl}/api/health`);
    await page.setContent(`<video id="v" muted autoplay playsinline src="${src}"></video>`);
    await page.waitForFunction(
      () => (document.getElementById('v') as HTMLVideoElement).currentTime > 1.5,
      null,
      {
        timeout: 15_000,
      },
    );
    const v = await page.$eval('#v', (el) => {
      const video = el as HTMLVideoElement;
      return { width: video.videoWidth, height: video.videoHeight, error: video.error?.code ?? null };
    });
    expect(v).toEqual({ width: 320, height: 240, error: null });
    await page.close();
  });
});
