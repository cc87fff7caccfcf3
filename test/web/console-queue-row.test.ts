import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  launchChromium,
  loginInPage,
  moveClock,
  shopWithPanic,
  shot,
} from './console-helpers.js';

/** The console city where a P1 nobody acknowledges goes up to the station after a second. */
const ESCALATING_YAML = CITY_YAML.replace(
  /escalation:[\s\S]*$/,
  `escalation:
  checkSeconds: 0.5
  P1: [{ afterSeconds: 1, action: escalate }]
`,
);

/** What one of the row's cells shows and whether any of it is cut (ellipsis or clipped by the cell). */
interface Shown {
  text: string;
  cut: boolean;
}

/**
 * A row's status chips read whole at the desk widths of the hall: "超时 4 分" and "已升级至北城派出所"
 * beside the state, never "超时 …" while the type column beside them stands half empty.
 */
describe('the queue row of an overdue, escalated alarm (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let password: string;
  let gridPassword: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: ESCALATING_YAML });
    browser = await launchChromium();
    shop = await shopWithPanic(svc);
    // Armed away, as a shop is out of hours: the panel cell names it beside 在线.
    await shop.send('arm', { cid: 'R401' });
    password = await addUser(svc, 'op-row', 'operator', 'city');
    gridPassword = await addUser(svc, 'op-grid', 'operator', 'north-grid-1');
  });

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it.each([
    [1280, 900, '超时 4 分'],
    [1366, 768, '超时 4 分'],
    [1400, 900, '超时 4 分'],
    [1600, 900, '超时 4 分'],
    [1920, 1080, '超时 4 分'],
    [1280, 900, '超时 12 分'],
  ])('at %i×%i shows "%s" and "已升级至北城派出所" whole', async (width, height, late) => {
    const desk: BrowserContext = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
    // The desk's clock a minute (a P1's target) and the minutes late after the panic.
    const minutes = Number(/\d+/.exec(late)![0]);
    await desk.addInitScript(moveClock, (minutes + 1) * 60_000);
    const page: Page = await desk.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-row', password);
      const row = page.locator('#queue-list .row.overdue.escalated[data-site="shop-1"]');
      await row.waitFor({ timeout: 10_000 });
      await expect.poll(() => row.locator('.badge-late').textContent()).toBe(late);
      await shot(page, `12-queue-row-overdue-escalated-${width}-${minutes}min`);
      const shown = (sel: string) =>
        row.locator(sel).evaluate((el): Shown => {
          const r = el.getBoundingClientRect();
          // Clipped by any box between it and the row (the cell hides what does not fit).
          let clipped = false;
          for (let p = el.parentElement; p && !p.classList.contains('row'); p = p.parentElement) {
            const b = p.getBoundingClientRect();
            if (
              r.left < b.left - 0.5 ||
              r.right > b.right + 0.5 ||
              r.top < b.top - 0.5 ||
              r.bottom > b.bottom + 0.5
            )
              clipped = true;
          }
          return {
            text: (el as HTMLElement).innerText.replace(/\s+/g, ' '),
            cut: clipped || el.scrollWidth > el.clientWidth,
          };
        });
      expect(await shown('.chip')).toEqual({ text: '新报警', cut: false });
      expect(await shown('.badge-late')).toEqual({ text: late, cut: false });
      expect(await shown('.badge-esc')).toEqual({ text: '⇧ 已升级至北城派出所', cut: false });
      expect(await shown('.holder')).toEqual({ text: '无人接警', cut: false });
      // The room comes from the type column, whose words still read whole beside the site's.
      expect(await shown('.c-type b')).toEqual({ text: '紧急按钮', cut: false });
      expect(await shown('.c-type small')).toEqual({ text: '前门（防区 1）', cut: false });
      expect(await shown('.c-site b')).toEqual({ text: '鑫源金店', cut: false });
      expect(await shown('.c-site small')).toEqual({ text: '北城街 18 号', cut: false });
      // A full battery is not news in a row (the incident's side panel still says it).
      expect(await shown('.c-panel .panel-state')).toEqual({ text: '在线 外出布防', cut: false });
      // Still one compact row of the queue's fixed height, the state cell's two lines inside it.
      const heights = await row.evaluate((el) => ({
        row: el.getBoundingClientRect().height,
        fixed: Number.parseFloat(getComputedStyle(el).getPropertyValue('--row')),
        cell: el.querySelector('.c-state')!.scrollHeight,
        cellBox: el.querySelector('.c-state')!.clientHeight,
      }));
      expect(heights.row).toBe(heights.fixed);
      expect(heights.cell).toBeLessThanOrEqual(heights.cellBox);
    } finally {
      await desk.close();
    }
  });

  // The grid's own desk sees its alarm go up to the station above it. The console knew the names of
  // the user's own subtree only, so the chip read "⇧ 已升级至north": now `/api/tree` names the nodes above.
  it("names the node above the desk's own that the alarm went up to", async () => {
    const desk = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
    const page = await desk.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-grid', gridPassword);
      const row = page.locator('#queue-list .row.escalated[data-site="shop-1"]');
      await row.waitFor({ timeout: 10_000 });
      expect((await row.locator('.badge-esc').innerText()).replace(/\s+/g, ' ')).toBe('⇧ 已升级至北城派出所');
      expect(await row.locator('.badge-esc').getAttribute('title')).toBe('北城派出所');
      await shot(page, '12-queue-row-escalated-above-grid-desk');
    } finally {
      await desk.close();
    }
  });
});
