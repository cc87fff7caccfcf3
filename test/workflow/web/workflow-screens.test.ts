import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../../drivers/simulator/panel-simulator.js';
import { localDate } from '../../../src/workflow/schedules/opening-hours.js';
import type { Storm } from '../../../src/workflow/storm/storm-store.js';
import { api, startTestService, type TestService } from '../../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  cityDay,
  HALL,
  launchChromium,
  loginInPage,
  northOutageStorm,
  shot,
} from '../../web/console-helpers.js';

const tomorrow = () => localDate(Date.now() + 86_400_000, 'Asia/Shanghai');
const yesterday = () => localDate(Date.now() - 86_400_000, 'Asia/Shanghai');

/**
 * The desk's workflow screens in headless Chromium (issue 17): a site put on test and taken off it
 * (the badge on the site, on the queue and on the events it took), the storm and runaway strip above
 * the queue with a supervisor ending the storm, and a temporary opening-hours change entered,
 * refused when it makes no sense, and deleted. Chinese first, then the same screens in English.
 */
describe('console: test mode, storm and runaway status, schedule changes (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;
  let bank: PanelSimulator;
  let sup: string;

  beforeAll(async () => {
    svc = await startTestService({
      yaml: `${CITY_YAML}
schedules:
  timezone: Asia/Shanghai
  sites:
    shop-1: { hours: { mon: "09:00-21:00", tue: "09:00-21:00", wed: "09:00-21:00", thu: "09:00-21:00", fri: "09:00-21:00", sat: "10:00-22:00" } }
workflow:
  runaway: { maxEvents: 8, windowSeconds: 60, clearBelowEvents: 1, clearSeconds: 600, reportSeconds: 1 }
  testMode: { maxMinutes: 1440 }
`,
    });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    bank = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await shop.connect();
    await bank.connect();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    const password = await addUser(svc, 'sup-desk', 'supervisor', 'city');
    await loginInPage(page, svc.httpUrl, 'sup-desk', password);
    sup = await svc.login('sup-desk', 'supervisor', 'city');
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
    await browser?.close();
    await svc?.close();
  });

  const toast = () => page.locator('#toasts .toast').last().textContent();

  it('puts the shop on test, shows the badge on the site, the queue and its events, and ends it', async () => {
    await page.goto(`${svc.httpUrl}/#/sitedesk/shop-1`);
    const card = page.locator('#wf-test-card');
    await card.locator('#wf-test-none').waitFor();
    await card.locator('input[name=minutes]').fill('15');
    await card.locator('input[name=reason]').fill('安装调试');
    await card.locator('#wf-test-form button[type=submit]').click();
    await expect.poll(() => card.locator('#wf-test-active li').textContent()).toContain('测试至');
    expect(await page.locator('#site-desk-name .badge-test').textContent()).toBe('测试');

    // The event taken on test rings nowhere; it is listed with the badge as it arrives (pushed).
    // First let the page's own re-read after the start (the site:test-mode push, 300 ms) pass, so
    // only the event's push can bring it.
    await page.waitForTimeout(1000);
    // The desk is halfway through typing an hours change when the signal comes: it keeps its text.
    const typing = page.locator('#wf-change-form input[name=reason]');
    await typing.fill('店内装修');
    const key = await shop.send('intrusion', { zone: '1' });
    await shop.waitForAck(key, 'received');
    await expect.poll(() => card.locator('#wf-test-events tr').count()).toBe(1);
    expect(await typing.inputValue()).toBe('店内装修');
    await typing.fill('');
    expect(await card.locator('#wf-test-events tr .badge-test').textContent()).toBe('测试');
    await shot(page, 'wf-10-site-on-test');

    await page.goto(`${svc.httpUrl}/#/queue`);
    const strip = page.locator('#wf-status');
    await expect.poll(() => strip.locator('.wf-test').textContent()).toContain('鑫源金店');
    expect(await strip.locator('.wf-test .badge-test').count()).toBe(1);
    await shot(page, 'wf-11-queue-test-strip');

    await page.goto(`${svc.httpUrl}/#/sitedesk/shop-1`);
    await card.locator('.wf-test-end').click();
    await card.locator('#wf-test-none').waitFor();
    expect(await page.locator('#site-desk-name .badge-test').count()).toBe(0);
    const after = await api<{ active: unknown[]; recent: { endedBy?: string }[] }>(
      `${svc.httpUrl}/api/sites/shop-1/test-mode`,
      sup,
    );
    expect(after.body.active).toEqual([]);
    expect(after.body.recent[0]?.endedBy).toBe('sup-desk');
  });

  it('shows a storm and a runaway panel above the queue; the supervisor ends the storm there', async () => {
    await northOutageStorm(svc, sup);
    await bank.send('panic', { zone: '1' });
    for (let i = 0; i < 12; i++) await bank.send('intrusion', { zone: String((i % 3) + 1) });

    await page.goto(`${svc.httpUrl}/#/queue`);
    const strip = page.locator('#wf-status');
    await expect.poll(() => strip.locator('.wf-storm').textContent()).toContain('风暴模式 · ');
    expect(await strip.locator('.wf-storm').textContent()).toContain('暂缓：故障、未确认入侵');
    await expect.poll(() => strip.locator('.wf-runaway').textContent()).toContain('报警主机频繁误报');
    expect(await strip.locator('.wf-runaway').textContent()).toContain('起，后续报警只计数');
    await shot(page, 'wf-12-queue-storm-runaway');

    await strip.locator('.wf-storm-end').click();
    await expect.poll(() => strip.locator('.wf-storm').count()).toBe(0);
    const ended = await api<Storm>(`${svc.httpUrl}/api/storms`, sup);
    expect((ended.body as unknown as { storms: Storm[] }).storms[0]).toMatchObject({ endedBy: 'sup-desk' });

    // The installer has fixed the bank's panel: the supervisor makes its alarms ring again.
    expect(await strip.locator('.wf-runaway-end').textContent()).toBe('恢复逐条响铃');
    await strip.locator('.wf-runaway-end').click();
    await expect.poll(toast).toBe('报警主机（南城储蓄所）的报警已恢复逐条响铃');
    await expect.poll(() => strip.locator('.wf-runaway').count()).toBe(0);
    const panel = await api<{ runaway: boolean }>(`${svc.httpUrl}/api/panels/panel-2`, sup);
    expect(panel.body.runaway).toBe(false);
    await shot(page, 'wf-12b-queue-runaway-ended');
  });

  it('a storm or a test that ends on another day says the day, not only a time that reads as before it began', async () => {
    // The longest storm (24 h) and test (as long as this city allows) end tomorrow at this time.
    const storm = await api<Storm>(`${svc.httpUrl}/api/storms`, sup, {
      method: 'POST',
      body: JSON.stringify({
        node: 'south',
        categories: ['video_loss'],
        action: 'demote',
        minutes: 1440,
        reason: '南城机房搬迁',
      }),
    });
    expect(storm.status).toBe(201);
    const test = await api<{ id: string; endsAt: string }>(
      `${svc.httpUrl}/api/sites/pharmacy-4/test-mode`,
      sup,
      {
        method: 'POST',
        body: JSON.stringify({ minutes: 1440, reason: '更换探测器' }),
      },
    );
    expect(test.status).toBe(201);
    try {
      await stripSaysTheDay(storm.body.endsAt, test.body.endsAt);
    } finally {
      await api(`${svc.httpUrl}/api/storms/${storm.body.id}`, sup, { method: 'DELETE' });
      await api(`${svc.httpUrl}/api/sites/pharmacy-4/test-mode`, sup, { method: 'DELETE' });
    }
  });

  async function stripSaysTheDay(stormEnds: string, testEnds: string): Promise<void> {
    const day = cityDay;
    await page.goto(`${svc.httpUrl}/#/queue`);
    await page.reload();
    const strip = page.locator('#wf-status');
    await expect.poll(() => strip.locator('.wf-storm').count()).toBe(1);
    expect(await strip.locator('.wf-storm').textContent()).toContain(`，至 ${day(stormEnds)} `);
    expect(await strip.locator('.wf-test[data-site="pharmacy-4"]').textContent()).toContain(
      `测试至 ${day(testEnds)} `,
    );
    await shot(page, 'wf-12c-queue-storm-till-tomorrow');
    await page.goto(`${svc.httpUrl}/#/sitedesk/pharmacy-4`);
    await expect
      .poll(() => page.locator('#wf-test-active li').textContent())
      .toContain(`测试至 ${day(testEnds)} `);
  }

  it('enters a temporary opening-hours change, refuses a past date in words, and deletes it', async () => {
    await page.goto(`${svc.httpUrl}/#/sitedesk/shop-1`);
    const card = page.locator('#wf-schedule-card');
    const form = card.locator('#wf-change-form');
    await form.waitFor();
    await form.locator('input[name=from]').fill(yesterday());
    await form.locator('input[name=closed]').check();
    await form.locator('input[name=reason]').fill('店内装修');
    await form.locator('button[type=submit]').click();
    await expect.poll(toast).toContain('日期已经过去');

    await form.locator('input[name=from]').fill(tomorrow());
    await form.locator('input[name=closed]').uncheck();
    await form.locator('input[name=open]').fill('12:00');
    await form.locator('input[name=close]').fill('18:30');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => card.locator('.wf-desk-change').textContent()).toContain('12:00-18:30');
    expect(await card.locator('.wf-desk-change').textContent()).toContain('店内装修');
    await shot(page, 'wf-13-schedule-change');
    const stored = await api<{ deskChanges: { from: string; hours: string }[] }>(
      `${svc.httpUrl}/api/sites/shop-1/schedule`,
      sup,
    );
    expect(stored.body.deskChanges).toEqual([
      expect.objectContaining({ from: tomorrow(), to: tomorrow(), hours: '12:00-18:30' }),
    ]);

    await card.locator('.wf-change-delete').click();
    await expect.poll(() => card.locator('.wf-desk-change').count()).toBe(0);
  });

  it('reads the same screens in English', async () => {
    await page.evaluate(() => localStorage.setItem('sharpeyes.lang', 'en'));
    // The bank's panel floods again (its runaway was ended above).
    for (let i = 0; i < 12; i++) await bank.send('intrusion', { zone: String((i % 3) + 1) });
    await api(`${svc.httpUrl}/api/sites/bank-2/test-mode`, sup, {
      method: 'POST',
      body: JSON.stringify({ minutes: 20, reason: 'installer visit' }),
    });
    await page.goto(`${svc.httpUrl}/#/sitedesk/bank-2`);
    await page.reload();
    const card = page.locator('#wf-test-card');
    await expect.poll(() => card.locator('#wf-test-active li').textContent()).toContain('on test until');
    expect(await page.locator('#site-desk-name .badge-test').textContent()).toBe('TEST');
    expect(await page.locator('#wf-schedule-card').textContent()).toContain(
      'This site has no opening hours set',
    );
    await shot(page, 'wf-14-site-desk-en');
    await page.goto(`${svc.httpUrl}/#/queue`);
    await expect.poll(() => page.locator('#wf-status .wf-test').textContent()).toContain('on test until');
    await expect.poll(() => page.locator('#wf-status .wf-runaway').textContent()).toContain('Runaway panel');
    expect(await page.locator('#wf-status .wf-runaway-end').textContent()).toBe('Ring its alarms again');
    await shot(page, 'wf-15-queue-strip-en');
  });
});
