import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  northOutageStorm,
  overflowProblems,
  shot,
  textProblems,
} from './console-helpers.js';

/**
 * The workflow strip above the queue (web/js/workflow-status.js) as a supervisor reads it with a
 * storm in force: who turned it on, then, apart from it, the button that ends it.
 */
describe('the workflow strip above the queue (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    const sup = await svc.login('sup-strip', 'supervisor', 'city');
    await northOutageStorm(svc, sup);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    await loginInPage(
      page,
      svc.httpUrl,
      'sup-strip-desk',
      await addUser(svc, 'sup-strip-desk', 'supervisor', 'city'),
    );
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /** The room between who turned the storm on and the 结束风暴模式 button, in pixels. */
  const gap = () =>
    page.locator('#wf-status .wf-storm').evaluate((li) => {
      const who = li.querySelector('.person')?.getBoundingClientRect();
      const end = li.querySelector('.wf-storm-end')?.getBoundingClientRect();
      return who && end ? Math.round(end.left - who.right) : null;
    });

  it.each([
    ['hall', HALL],
    ['laptop', LAPTOP],
  ])('the username does not touch the end button (%s)', async (name, viewport) => {
    await page.setViewportSize(viewport);
    await page.goto(`${svc.httpUrl}/#/queue`);
    const storm = page.locator('#wf-status .wf-storm');
    await expect.poll(() => storm.count(), { timeout: 10_000 }).toBe(1);
    expect(await storm.locator('.wf-storm-end').innerText()).toBe('结束风暴模式');
    expect(await gap()).toBeGreaterThanOrEqual(8);
    // Whole: not "sup-" at a line's end and "strip" on the next.
    expect(await storm.locator('.person').evaluate((el) => el.getClientRects().length)).toBe(1);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
    expect(await overflowProblems(page)).toEqual([]);
    await shot(page, `wf-strip-storm-${name}`);
  });
});
