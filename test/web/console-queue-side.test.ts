import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  launchChromium,
  loginInPage,
  overflowProblems,
  shopWithPanic,
  shot,
  wrappedTexts,
} from './console-helpers.js';

/** The city's centre by the long name real ones have; a P1 nobody takes goes up twice, to it. */
const LONG_NAME = '朔州市公安局110指挥中心（市局指挥调度中心）';
const YAML = CITY_YAML.replace('name: 朔州市110指挥中心', `name: ${LONG_NAME}`).replace(
  /escalation:[\s\S]*$/,
  `escalation:
  checkSeconds: 0.5
  P1: [{ afterSeconds: 1, action: escalate }, { afterSeconds: 2, action: escalate }]
`,
);

/**
 * The queue's side panel at a laptop's width: an alarm escalated to the city's centre says so whole,
 * inside the panel, where a row can only shorten it.
 */
describe('the queue side panel of an alarm escalated to a long-named centre (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let password: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: YAML });
    browser = await launchChromium();
    shop = await shopWithPanic(svc);
    password = await addUser(svc, 'op-side', 'operator', 'city');
  });
  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it.each([
    [1366, 768],
    [1280, 800],
  ])('at %i×%i the chip reads the whole name inside the panel', async (width, height) => {
    const desk = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
    const page = await desk.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-side', password);
      const row = page.locator('#queue-list .row.escalated[data-site="shop-1"]');
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator('.badge-esc').textContent(), { timeout: 10_000 }).toContain('×2');
      await row.click();
      const chip = page.locator('#queue-side .facts .badge-esc');
      await expect.poll(() => chip.textContent()).toBe(`⇧ 已升级至${LONG_NAME} ×2`);
      await shot(page, `12-queue-side-escalated-long-${width}`);
      const place = await chip.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const side = document.querySelector('#queue-side')!.getBoundingClientRect();
        return {
          inside: r.left >= side.left - 0.5 && r.right <= side.right + 0.5,
          cut: el.scrollWidth > el.clientWidth,
        };
      });
      expect(place).toEqual({ inside: true, cut: false });
      expect(await overflowProblems(page)).toEqual([]);
    } finally {
      await desk.close();
    }
  });

  it.each([
    [1366, 768],
    [1920, 1080],
  ])('at %i×%i in English each label of the panel reads on one line', async (width, height) => {
    const desk = await browser.newContext({ viewport: { width, height }, locale: 'en-US' });
    await desk.addInitScript(() => localStorage.setItem('sharpeyes.lang', 'en'));
    const page = await desk.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-side', password);
      const row = page.locator('#queue-list .row[data-site="shop-1"]');
      await row.waitFor({ timeout: 10_000 });
      await row.click();
      const labels = page.locator('#queue-side .facts dt');
      await expect.poll(() => labels.allInnerTexts()).toContain('Reported by');
      await shot(page, `12-queue-side-en-${width}`);
      // "Reported by" took two lines in the labels' fixed 5.5rem.
      expect(await wrappedTexts(labels)).toEqual([]);
      expect(await overflowProblems(page)).toEqual([]);
    } finally {
      await desk.close();
    }
  });
});
