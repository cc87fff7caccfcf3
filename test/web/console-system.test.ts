import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  overflowProblems,
  shot,
  textProblems,
} from './console-helpers.js';

/** The level a tile, row or the banner shows (`data-level`: ok, warn or bad). */
const level = (page: Page, sel: string) => page.locator(sel).getAttribute('data-level');

describe('the system status page (headless Chromium): the receiver as a duty engineer checks it', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;
  let bank: PanelSimulator;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await shop.connect();
    bank = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await bank.connect();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    await loginInPage(page, svc.httpUrl, 'sup-city', await addUser(svc, 'sup-city', 'supervisor', 'city'));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await bank?.close();
    await svc?.close();
  });

  it('shows the alarm path’s last minute, the panels, the database and every follow-up, all well', async () => {
    await page.locator('#nav a[data-nav="system"]').click();
    await page.locator('#sys-alarm-path').waitFor();
    // Nothing stored yet: the tile says so instead of a wait of 0 ms.
    expect(await page.locator('#sys-alarm-path .sys-big').innerText()).toBe('最近一分钟没有事件入库');
    await shop.send('panic', { zone: '1' });
    // The next refresh (every 5 s) counts the panic and its wait for a durable decision.
    await expect
      .poll(() => page.locator('#sys-alarm-path').innerText(), { timeout: 15_000 })
      .toMatch(/入库 1 条 · 中位 [\d.]+ 毫秒 · 最长 [\d.]+ 毫秒/);
    expect(await page.locator('#sys-alarm-path .sys-big').innerText()).toMatch(
      /^确认等待 [\d.]+ 毫秒（99% 以内）$/,
    );
    expect(await page.locator('#sys-alarm-path polyline').getAttribute('points')).toMatch(/^[\d.]+,[\d.]+/);
    expect(await page.locator('#sys-panels .sys-big').innerText()).toMatch(/^\d \/ 3 在线$/);
    expect(await page.locator('#sys-db').innerText()).toContain('正常');
    expect(await level(page, '#sys-banner')).not.toBe('bad');
    for (const [sink, name] of [
      ['bus', '值班台实时推送'],
      ['audit', '审计日志'],
      ['panel-acks', '报警主机回执'],
      ['reports', '统计报表'],
    ]) {
      const row = page.locator(`#sys-sinks tr[data-sink="${sink}"]`);
      await expect.poll(() => row.getAttribute('data-level'), { timeout: 15_000 }).toBe('ok');
      expect(await row.innerText()).toMatch(new RegExp(`^${name}\\s+0\\s+—\\s+正常$`));
    }
    await shot(page, 'system-ok');
    expect(await overflowProblems(page)).toEqual([]);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
  });

  it('a follow-up that fails turns its row and the banner red, says since when, and clears when it recovers', async () => {
    // The reporting tables out of reach (as on a damaged disk), on the service's own connection.
    const db = svc.svc.need('store').db;
    db.exec('ALTER TABLE report_incidents RENAME TO report_incidents_away');
    let away = true;
    const restore = () => {
      if (away) db.exec('ALTER TABLE report_incidents_away RENAME TO report_incidents');
      away = false;
    };
    try {
      const failedFrom = Date.now();
      // A new incident at the bank: its facts are what the reports follow-up writes.
      await bank.send('panic');
      const reports = page.locator('#sys-sinks tr[data-sink="reports"]');
      await expect.poll(() => reports.getAttribute('data-level'), { timeout: 20_000 }).toBe('bad');
      const row = await reports.innerText();
      expect(row).toMatch(/^统计报表\s+\d+ 条\s+\d+ 秒\s+失败 \d+ 次，自 \d\d:\d\d:\d\d 起$/);
      const since = row.match(/自 (\d\d:\d\d:\d\d) 起/)![1]!;
      const failed = new Date(failedFrom);
      const hhmmss = (d: Date) =>
        [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
      expect([
        hhmmss(failed),
        hhmmss(new Date(failedFrom + 1000)),
        hhmmss(new Date(failedFrom + 2000)),
      ]).toContain(since);
      await expect.poll(() => level(page, '#sys-banner'), { timeout: 10_000 }).toBe('bad');
      expect(await page.locator('#sys-banner').innerText()).toContain('需要注意：1 项后续处理失败');
      // The alarm itself was not held: every other follow-up took it.
      expect(await level(page, '#sys-sinks tr[data-sink="bus"]')).toBe('ok');
      await shot(page, 'system-sink-failing');
      expect(await overflowProblems(page)).toEqual([]);
      expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });

      restore();
      // Retried with backoff (at most 30 s apart; here within seconds of the first failures).
      await expect.poll(() => reports.getAttribute('data-level'), { timeout: 40_000 }).toBe('ok');
      await expect.poll(() => level(page, '#sys-banner'), { timeout: 10_000 }).not.toBe('bad');
    } finally {
      restore();
    }
  }, 90_000);

  it('reads right on a laptop, and only supervisors and admins have it', { timeout: 60_000 }, async () => {
    await page.setViewportSize(LAPTOP);
    await page.waitForTimeout(300);
    await shot(page, 'system-laptop');
    expect(await overflowProblems(page)).toEqual([]);
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const op = await ctx.newPage();
    await loginInPage(op, svc.httpUrl, 'op-city', await addUser(svc, 'op-city', 'operator', 'city'));
    expect(await op.locator('#nav a[data-nav="system"]').count()).toBe(0);
    await op.goto(`${svc.httpUrl}/#/system`);
    await op.locator('#view[data-view="queue"]').waitFor();
    await ctx.close();
  });
});
