import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { SystemHistoryStore } from '../../src/health/system-history.js';
import { historyNode } from '../../src/health/system-module.js';
import { reportsAway, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  cityDay,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  OFFICERS_TIME_ZONE,
  OK_MINUTE,
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
    const restore = reportsAway(svc);
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
      // The desk's clock: the browser is in the officers' zone, whatever this machine's is.
      const hhmmss = (d: Date) =>
        d.toLocaleTimeString('en-GB', { hour12: false, timeZone: OFFICERS_TIME_ZONE });
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

  it('a follow-up failing since before today says the date it began', async () => {
    // An outage of a day and more: the service's own health, its audit follow-up failing since then.
    const since = Date.now() - 30 * 3600_000;
    await page.route('**/api/health', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.checks.outbox.sinks.audit = {
        ...body.checks.outbox.sinks.audit,
        failures: 12,
        failingSince: new Date(since).toISOString(),
        behind: 40,
        behindSeconds: 30 * 3600,
      };
      await route.fulfill({ response: res, json: body });
    });
    try {
      await page.locator('#nav a[data-nav="system"]').click();
      const audit = page.locator('#sys-sinks tr[data-sink="audit"]');
      await expect.poll(() => audit.getAttribute('data-level'), { timeout: 15_000 }).toBe('bad');
      const time = new Date(since).toLocaleTimeString('en-GB', {
        hour12: false,
        timeZone: OFFICERS_TIME_ZONE,
      });
      expect(await audit.innerText()).toContain(
        `失败 12 次，自 ${cityDay(new Date(since).toISOString())} ${time} 起`,
      );
      await page.locator('#sys-sinks').scrollIntoViewIfNeeded();
      await shot(page, 'system-sink-failing-since-yesterday');
    } finally {
      await page.unroute('**/api/health');
    }
    await expect.poll(() => level(page, '#sys-sinks tr[data-sink="audit"]'), { timeout: 15_000 }).toBe('ok');
  });

  it('the history: the last hour minute by minute, a failing follow-up red, a slow minute yellow, a stop grey; a day in 5-minute steps', async () => {
    const MIN = 60_000;
    const now = Math.floor(Date.now() / MIN) * MIN;
    const rows = new SystemHistoryStore(svc.svc.need('store').k);
    const node = historyNode(svc.svc);
    const ok = OK_MINUTE;
    // An hour ago to five minutes ago (this service started later: its own minutes come after), with
    // the service stopped for five minutes, a follow-up failing in one, and a disk stall in another.
    const gap = [30, 29, 28, 27, 26].map((m) => new Date(now - m * MIN).toISOString());
    for (let m = 50; m >= 5; m--) {
      if (m <= 30 && m >= 26) continue;
      await rows.write(node, now - m * MIN, {
        ...ok,
        ...(m === 20 ? { sinksFailing: 1, sinksBehind: 14, sinksBehindSeconds: 70 } : {}),
        ...(m === 10 ? { waitP99Ms: 250, waitMaxMs: 480 } : {}),
        // The alarm thread held 1.3 s (a long query): red, though every decision was quick.
        ...(m === 15 ? { loopP99Ms: 4, loopMaxMs: 1300 } : {}),
        // Back after the stop: the service's first minute says it started.
        ...(m === 25 ? { started: true } : {}),
        // A camera's segment writes failed (a failing disk), the recordings' disk short of room.
        ...(m === 35
          ? { recording: { camerasFailing: 1, camerasDropping: 0, storageShort: 1, storageFull: 0 } }
          : {}),
      });
    }
    const failingAt = new Date(now - 20 * MIN).toISOString();
    const slowAt = new Date(now - 10 * MIN).toISOString();
    const heldAt = new Date(now - 15 * MIN).toISOString();
    const recAt = new Date(now - 35 * MIN).toISOString();
    // The page reads its history on opening (then every minute).
    await page.locator('#nav a[data-nav="queue"]').click();
    await page.locator('#nav a[data-nav="system"]').click();
    const chart = page.locator('#sys-history .sys-hist-chart');
    await chart.waitFor();
    expect(await page.locator(`#sys-history [data-at="${failingAt}"]`).getAttribute('data-level')).toBe(
      'bad',
    );
    expect(await page.locator(`#sys-history [data-at="${slowAt}"]`).getAttribute('data-level')).toBe('warn');
    expect(await page.locator(`#sys-history [data-at="${heldAt}"]`).getAttribute('data-level')).toBe('bad');
    expect(await page.locator(`#sys-history [data-at="${heldAt}"] title`).textContent()).toContain(
      '报警线程最长被占用 1300 毫秒',
    );
    expect(await page.locator(`#sys-history [data-at="${recAt}"]`).getAttribute('data-level')).toBe('bad');
    const recTip = await page.locator(`#sys-history [data-at="${recAt}"] title`).textContent();
    expect(recTip).toContain('录像存储空间不足，正在提前删除最早的录像');
    expect(recTip).toContain('1 路摄像机录像写入失败');
    expect(
      await page
        .locator(`#sys-history [data-at="${new Date(now - 40 * MIN).toISOString()}"]`)
        .getAttribute('data-level'),
    ).toBe('ok');
    // The start after the stop is marked, and says so on hover.
    const startedAt = new Date(now - 25 * MIN).toISOString();
    expect(await page.locator(`#sys-history [data-start="${startedAt}"]`).count()).toBe(1);
    expect(await page.locator(`#sys-history [data-at="${startedAt}"] title`).textContent()).toContain(
      '服务在这段时间启动（1 次）',
    );
    // The stop is grey, minute by minute; nothing before the first minute recorded is.
    for (const at of gap) expect(await page.locator(`#sys-history [data-gap="${at}"]`).count(), at).toBe(1);
    expect(
      await page.locator(`#sys-history [data-gap="${new Date(now - 55 * MIN).toISOString()}"]`).count(),
    ).toBe(0);
    // The failing minute's numbers are its tooltip.
    const tip = await page.locator(`#sys-history [data-at="${failingAt}"] title`).textContent();
    expect(tip).toContain('1 项后续处理失败');
    expect(tip).toContain('后续处理最多积压 14 条，最早一条已等 1 分钟');
    const summary = await page.locator('#sys-hist-summary').innerText();
    expect(summary).toMatch(
      /^入库 \d+ 条 · 最慢一段 99% 等待 250 毫秒（(\d{4}\/\d+\/\d+ )?\d\d:\d\d） · 报警线程最长被占用 1300 毫秒（(\d{4}\/\d+\/\d+ )?\d\d:\d\d） · 服务启动 \d+ 次 · 后续处理失败累计 \d+ 分钟 · 录像写入失败累计 1 分钟 · 服务未运行 \d+ 分钟$/,
    );
    // At least the five minutes it was stopped (the minutes before this service's own first row too),
    // and at least the seeded failing minute (the test before may have left a real one).
    expect(Number(summary.match(/服务未运行 (\d+) 分钟/)![1])).toBeGreaterThanOrEqual(5);
    expect(Number(summary.match(/失败累计 (\d+) 分钟/)![1])).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#sys-history .sys-hist-legend').innerText()).toContain('每点 1 分钟');
    await shot(page, 'system-history-hour');
    expect(await overflowProblems(page)).toEqual([]);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });

    // A day: five minutes a point, each the worst of its minutes.
    await page.locator('#sys-history button[data-hours="24"]').click();
    await expect
      .poll(() => page.locator('#sys-history .sys-hist-legend').innerText(), { timeout: 10_000 })
      .toContain('每点 5 分钟');
    expect(await page.locator('#sys-history button[data-hours="24"]').getAttribute('aria-pressed')).toBe(
      'true',
    );
    const levels = await page
      .locator('#sys-history .sys-hist-hit')
      .evaluateAll((els) =>
        els.map((e) => [(e as SVGElement).dataset['at'], (e as SVGElement).dataset['level']]),
      );
    const stepOf = (iso: string) =>
      levels.find(([at], i) => {
        const next = levels[i + 1]?.[0];
        return Date.parse(at!) <= Date.parse(iso) && (!next || Date.parse(iso) < Date.parse(next));
      })?.[1];
    expect(stepOf(failingAt)).toBe('bad');
    expect(stepOf(slowAt)).toBe('warn');
    await shot(page, 'system-history-day');
    await page.locator('#sys-history button[data-hours="1"]').click();

    // A desk PC whose clock runs 20 minutes slow sees the same stops (the minutes since the seeded
    // history ended, before this service's own first row, among them): minutes are due by the
    // server's clock (each answer says its time), not the PC's.
    const downOf = (text: string) => Number(text.match(/服务未运行 (\d+) 分钟/)?.[1] ?? 0);
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    try {
      const slow = await ctx.newPage();
      await slow.clock.setSystemTime(Date.now() - 20 * MIN);
      await loginInPage(slow, svc.httpUrl, 'sup-slow', await addUser(svc, 'sup-slow', 'supervisor', 'city'));
      await slow.goto(`${svc.httpUrl}/#/system`);
      await slow.locator('#sys-hist-summary').waitFor();
      const right = downOf(await page.locator('#sys-hist-summary').innerText());
      expect(
        Math.abs(downOf(await slow.locator('#sys-hist-summary').innerText()) - right),
      ).toBeLessThanOrEqual(1);
    } finally {
      await ctx.close();
    }
  }, 60_000);

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
