import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, monthOf } from '../../src/reports/local-time.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { CITY_YAML, HALL, launchChromium, shot, textProblems } from './console-helpers.js';

/** A finished month, whatever day the test runs. */
const MONTH = addMonths(monthOf(Date.now(), 'Asia/Shanghai'), -1);

describe('the monthly report page (headless Chromium): a report it cannot build says why, in Chinese', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let stationSup: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    stationSup = await svc.login('sup-north', 'supervisor', 'north');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    // The page reads the console's session, as when the reports page opens it in a new tab.
    await page.goto(`${svc.httpUrl}/report.html?node=north&month=${MONTH}`);
    await page.evaluate((token) => localStorage.setItem('sharpeyes.token', token), stationSup);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /** What the page says once it gave up (or drew the report). */
  async function said(query: string): Promise<string> {
    await page.goto(`${svc.httpUrl}/report.html?${query}`);
    await page.waitForFunction(() => (window as unknown as { __reportReady?: boolean }).__reportReady);
    return page.locator('#report').innerText();
  }

  it.each([
    // A link the city's supervisor shared: the station's supervisor may not read the city's figures.
    [
      'a node outside the user’s area',
      'node=city&month=MONTH',
      '报告生成失败：要找的内容不存在，或不在您的辖区',
    ],
    ['a month not begun yet', `node=north&month=${addMonths(MONTH, 3)}`, '报告生成失败：所选月份还没有开始'],
    ['not a month', 'node=north&month=2026-13', '报告生成失败：月份的格式不对'],
  ])('%s', async (_what, query, sentence) => {
    const text = await said(query.replace('MONTH', MONTH));
    expect(text.trim()).toBe(sentence);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
  });

  it('without a node, is the report of the user’s own area', async () => {
    expect(await said(`month=${MONTH}`)).toContain('北城派出所 · 月度报告');
  });

  it('a session that has ended says to log in again, with the way back to the console', async () => {
    const text = await said(`node=north&month=${MONTH}`);
    expect(text).toContain('北城派出所 · 月度报告');
    await page.evaluate(() => localStorage.setItem('sharpeyes.token', 'a-session-long-gone'));
    expect((await said(`node=north&month=${MONTH}`)).split(/\n+/)).toEqual([
      '报告生成失败：登录已过期，请重新登录',
      '回到值班台登录',
    ]);
    expect(await page.locator('#report a').getAttribute('href')).toBe('/');
    await shot(page, 'report-session-ended');
  });
});
