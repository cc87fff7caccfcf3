import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, OFFICERS_TIME_ZONE } from './console-helpers.js';

// Under `npm run test:at` this process's wall clock is moved (libfaketime) and Chromium runs on the
// real one: launchChromium's pages must see the moved instant, or the console is tested at another.
describe('the browser of the console tests', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reads the same instant as the service, in the officers’ zone, in every context and page', async () => {
    const ctx = await browser.newContext();
    const first = await ctx.newPage();
    await first.goto('about:blank');
    const lone = await browser.newPage();
    const second = await ctx.newPage();
    for (const page of [first, lone, second]) {
      const seen = await page.evaluate(() => ({
        now: Date.now(),
        // biome-ignore lint/complexity/useDateNow: `new Date()` is what is checked here, apart from Date.now.
        date: new Date().getTime(),
        formatted: new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric' }).format(),
        zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      }));
      // Within a minute: the machine is shared and slow, but a missed shift is months or years.
      expect(Math.abs(seen.now - Date.now())).toBeLessThan(60_000);
      expect(Math.abs(seen.date - Date.now())).toBeLessThan(60_000);
      expect(seen.zone).toBe(OFFICERS_TIME_ZONE);
      expect(Number(seen.formatted)).toBe(new Date(seen.now).getUTCFullYear());
    }
    await ctx.close();
    await lone.close();
  });

  it('keeps the zone a test names', async () => {
    const ctx = await browser.newContext({ timezoneId: 'UTC' });
    const page = await ctx.newPage();
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('UTC');
    await ctx.close();
  });
});
