import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestService } from '../helpers/service.js';
import { addUser, launchChromium, loginInPage } from '../web/console-helpers.js';

/** Where the playback tests' screenshots go. */
export const SHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'playback');

export async function playbackShot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The player's playhead (wall ms). */
export const position = async (page: Page): Promise<number> =>
  Number(await page.locator('#pb-clock').getAttribute('data-ms'));

/** `YYYY-MM-DDTHH:MM:SS` of an instant in Beijing time (the page's time zone). */
export const beijing = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);

/**
 * An investigator (`inv`, the city) logged into the console on a Shanghai desk at 1600×1000.
 * `watch` sees the page before the login, for listeners that must hear all of it.
 */
export async function investigatorPage(
  svc: TestService,
  watch: (page: Page) => void = () => {},
): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const ctx = await browser.newContext({
    viewport: { width: 1600, height: 1000 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await ctx.newPage();
  watch(page);
  const password = await addUser(svc, 'inv', 'investigator', 'city');
  await loginInPage(page, svc.httpUrl, 'inv', password);
  return { browser, page };
}
