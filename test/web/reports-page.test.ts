import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactsBackfill } from '../../src/reports/facts-backfill.js';
import { addMonths, monthOf } from '../../src/reports/local-time.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { REPORT_CITY } from '../reports/report-fixture.js';
import { alarms, seedIncidents } from '../reports/seed-history.js';
import { addUser, HALL, launchChromium, loginInPage, shot, textProblems } from './console-helpers.js';

const YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
${REPORT_CITY(false)}
`;

/** A finished month two back, whose alarms lie more than 30 days before any day the test runs. */
const NOW_MONTH = monthOf(Date.now(), 'Asia/Shanghai');
const MONTH = addMonths(NOW_MONTH, -2);
const label = (month: string) => `${Number(month.slice(0, 4))}年${Number(month.slice(5))}月`;
const later = (t: number, seconds: number) => new Date(t + seconds * 1000).toISOString();

describe('the supervisors’ reports page (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-reports-page-'));
    const seed = new SqliteStore(join(dataDir, 'sharpeyes.db'));
    await seedIncidents(seed.k, [
      // 北城派出所: three alarms acknowledged after 40 s, that month.
      ...alarms('north', 'shop-1', 'north-grid-1', `${MONTH}-05T09:00:00+08:00`, 3, (t) => ({
        ack: later(t, 40),
        closed: later(t, 3600),
      })),
    ]);
    await seed.close();
    svc = await startTestService({ yaml: YAML, dataDir });
    const backfill = svc.svc.part<FactsBackfill>('reports.backfill');
    for (let i = 0; i < 200 && !backfill.done; i++) await new Promise((r) => setTimeout(r, 50));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    await loginInPage(page, svc.httpUrl, 'sup-city', await addUser(svc, 'sup-city', 'supervisor', 'city'));
    await page.locator('#nav a[data-nav=reports]').click();
    await page.locator('#rep-times table').first().waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /** The response-time row of a station: its name, alarms, false alarms, acknowledge, arrival. */
  const stationRow = (name: string) =>
    page.locator('#rep-times tr', { hasText: name }).first().locator('td').allInnerTexts();

  it('the response times are those of the month chosen, as the ratings beside them are', async () => {
    await page.locator('#rep-month').selectOption(MONTH);
    await expect
      .poll(() => stationRow('北城派出所'), { timeout: 5000 })
      .toEqual(['北城派出所', '3', '0', '40 秒 / 40 秒', '—']);
    // Each card names the month it is about, in words.
    expect(await page.locator('#rep-times h3').first().innerText()).toContain(label(MONTH));
    expect(await page.locator('#rep-ratings h3').innerText()).toBe(`评级 ${label(MONTH)}`);
    await shot(page, 'reports-month');
    // This month nothing has rung yet: the same table says so, not the older month's figures.
    await page.locator('#rep-month').selectOption(NOW_MONTH);
    await expect.poll(() => page.locator('#rep-times h3').first().innerText()).toContain(label(NOW_MONTH));
    await expect.poll(() => stationRow('北城派出所')).toEqual(['北城派出所', '0', '0', '—', '—']);
    expect(await textProblems(page, { chinese: true, ids: ['north', 'south', 'shop-1'] })).toEqual({
      rawIds: [],
      english: [],
    });
  });

  it('a notice says what it lacks in its own words before sending, and the server’s refusals name its fields', async () => {
    // What the page says about the notice: beside its button, or as an error toast.
    const refusal = async () =>
      (await page.locator('#rep-notices [role=alert], #toasts [role=alert]').allInnerTexts())
        .filter((s) => s.trim())
        .at(-1);
    const send = page.locator('#notice-send');
    await send.click();
    await expect.poll(refusal).toBe('请选择通知发送到的单位');
    await page.locator('#rep-notices input[value="north"]').check();
    await send.click();
    await expect.poll(refusal).toBe('请填写通知内容');
    // The server's refusal of the plate (too short once normalised), in the form's terms.
    await page.locator('#notice-text').fill('今晚 22:00 起北城街临时管制，请各单位注意。');
    await page.locator('#notice-plate').fill('晋F');
    await send.click();
    await expect.poll(refusal).toBe('布控车牌至少要 5 个字');
    await page.locator('#notice-problem').scrollIntoViewIfNeeded();
    await shot(page, 'reports-notice-refused');
    await page.locator('#notice-plate').fill('晋F12345');
    await send.click();
    await expect.poll(() => page.locator('#toasts').innerText()).toContain('通知已发送');
    expect(await page.locator('#notice-problem').innerText()).toBe('');
  });
});
