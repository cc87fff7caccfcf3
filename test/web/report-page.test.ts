import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, monthOf } from '../../src/reports/local-time.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  CITY_YAML,
  HALL,
  LAPTOP,
  launchChromium,
  overflowProblems,
  shot,
  textProblems,
} from './console-helpers.js';

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

/** The month as the page's subtitle words it: "2026年11月". */
const monthWords = (month: string) => `${Number(month.slice(0, 4))}年${Number(month.slice(5))}月`;

// biome-ignore lint/suspicious/noExplicitAny: a report's JSON as the page reads it, changed in places.
type Report = Record<string, any>;

/** The only Latin on the Chinese page: the download links name their file formats. */
const ONLY_FORMATS = { rawIds: [], english: ['CSV', 'PDF'] };

/** What reaches past the window's right edge (the page scrolls down, as a printed report does). */
async function sideways(page: Page): Promise<string[]> {
  const width = page.viewportSize()?.width ?? 0;
  return (await overflowProblems(page)).filter((p) => {
    const right = /reaches (\d+)×/.exec(p)?.[1];
    return right === undefined || Number(right) > width + 1;
  });
}

describe('the monthly report page (headless Chromium): read by a Chinese supervisor, units and empty charts in words', () => {
  let svc: TestService;
  let browser: Browser;
  let citySup: string;
  /** The city's report of MONTH as the service builds it (nothing happened in it). */
  let empty: Report;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    citySup = await svc.login('sup-city', 'supervisor', 'city');
    const res = await api<Report>(
      `${svc.httpUrl}/api/reports/monthly?node=city&month=${MONTH}&format=json`,
      citySup,
    );
    expect(res.status).toBe(200);
    empty = res.body;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  /**
   * The page drawn from `report` handed in as the PDF renderer hands it (window.__REPORT__), in
   * `lang`, at `viewport`.
   */
  async function open(report: Report, lang: 'zh' | 'en', viewport = HALL): Promise<Page> {
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    await context.addInitScript(
      ([r, l]) => {
        const w = window as unknown as Record<string, unknown>;
        w.__REPORT__ = r;
        if (l === 'en') w.__REPORT_LANG__ = 'en';
      },
      [report, lang] as const,
    );
    const page = await context.newPage();
    await page.goto(`${svc.httpUrl}/report.html?node=city&month=${report.month}`);
    await page.waitForFunction(() => (window as unknown as { __reportReady?: boolean }).__reportReady);
    return page;
  }

  /** The section titled `title`. */
  const sectionOf = (page: Page, title: string) =>
    page.locator('section', { has: page.locator('h2', { hasText: title }) }).first();

  /** The labels of the Chart.js chart in the section titled `title` (drawn on a canvas, not in the text). */
  const chartLabels = (page: Page, title: string) =>
    sectionOf(page, title)
      .locator('canvas')
      .evaluate((c) =>
        (
          window as unknown as { Chart: { getChart(c: unknown): { data: { labels: string[] } } } }
        ).Chart.getChart(c).data.labels.map(String),
      );

  /** A month with figures in it: the empty report with acknowledgements, ratings, escalations, receipts. */
  function withFigures(): Report {
    const r: Report = structuredClone(empty);
    r.charts.distributions.acknowledge = [4, 6, 3, 2, 1, 0, 0, 0, 1];
    r.charts.distributions.arrive = [0, 0, 0, 2, 5, 3, 1, 0, 0];
    r.ratings.counts = { green: 3, yellow: 1, red: 1 };
    r.figures.units[0].dispatches = 7;
    r.figures.units[0].busyHours = 5.5;
    r.figures.escalations.list = [
      { openedAt: `${MONTH}-12T02:03:04Z`, siteName: '鑫源金店', priority: 2, acknowledgeSeconds: 754 },
      { openedAt: `${MONTH}-13T02:03:04Z`, siteName: '南城储蓄所', priority: 2, acknowledgeSeconds: null },
    ];
    r.figures.escalations.unanswered = 2;
    r.notices = {
      sent: 1,
      targets: 2,
      received: 1,
      onTime: 1,
      list: [
        {
          id: 'n1',
          sentAt: `${MONTH}-14T02:00:00Z`,
          text: '注意可疑车辆',
          targets: [
            { node: 'north', name: '北城派出所', receiptSeconds: 95 },
            { node: 'south', name: '南城派出所', receiptSeconds: null },
          ],
        },
      ],
    };
    return r;
  }

  it('names the month and its zone in words, not 2026-11 (Asia/Shanghai)', async () => {
    const page = await open(withFigures(), 'zh');
    expect(await page.locator('.report-head .muted').innerText()).toBe(`${monthWords(MONTH)}（北京时间）`);
    expect(await textProblems(page, { chinese: true })).toEqual(ONLY_FORMATS);
    await page.context().close();
  });

  it('labels the response-time buckets in 秒 and 分 (was 0–30s … >60m), and the times in the tables too', async () => {
    const page = await open(withFigures(), 'zh');
    expect(await chartLabels(page, '接警用时分布')).toEqual([
      '0–30 秒',
      '30 秒–1 分',
      '1–2 分',
      '2–5 分',
      '5–10 分',
      '10–20 分',
      '20–30 分',
      '30–60 分',
      '60 分以上',
    ]);
    // 超时无人接警: how long from the alarm's opening until a desk acknowledged it, the measure of
    // 响应用时's 接警, so to the second as it is there (was "接警 (s)" over 754, then "12 分").
    const unanswered = sectionOf(page, '超时无人接警');
    expect(await unanswered.locator('th').allInnerTexts()).toEqual(['时间', '单位', '级别', '接警用时']);
    expect(await unanswered.locator('tr td:last-child').allInnerTexts()).toEqual(['12 分 34 秒', '未接警']);
    await unanswered.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot(page, 'report-unanswered-hall');
    // 通知签收: the receipt time to the second, as the response times above it (was "95 s", then "1 分").
    expect(await sectionOf(page, '通知签收').locator('tr td:last-child').allInnerTexts()).toEqual([
      '1 分 35 秒',
      '未签收',
    ]);
    await sectionOf(page, '通知签收').scrollIntoViewIfNeeded();
    await shot(page, 'report-notices-hall');
    await page.context().close();
  });

  it('counts the sites of each colour beside the 三色评定 doughnut', async () => {
    const page = await open(withFigures(), 'zh');
    const ratings = sectionOf(page, '三色评定');
    expect(await ratings.locator('.rating-legend li').allInnerTexts()).toEqual([
      '绿 3 家 60%',
      '黄 1 家 20%',
      '红 1 家 20%',
    ]);
    expect(await ratings.innerText()).toContain('共 5 家单位');
    await shot(page, 'report-figures-hall');
    expect(await sideways(page)).toEqual([]);
    await page.setViewportSize(LAPTOP);
    expect(await sideways(page)).toEqual([]);
    await shot(page, 'report-figures-laptop');
    await page.context().close();
  });

  // 61.5%, 30.8% and 7.7%: each rounded alone they read 62% + 31% + 8% = 101%. The largest remainders
  // (0.77, 0.69) get the two points left over the floors (61 + 30 + 7), so the shares add up to 100%.
  it.each([
    ['zh', ['绿 8 家 61%', '黄 4 家 31%', '红 1 家 8%'], '共 13 家单位'],
    ['en', ['Green 8 61%', 'Yellow 4 31%', 'Red 1 8%'], 'Sites rated: 13'],
  ] as const)('the 三色评定 shares add up to 100 per cent, not 101 (%s)', async (lang, legend, total) => {
    const r = withFigures();
    r.ratings.counts = { green: 8, yellow: 4, red: 1 };
    const page = await open(r, lang);
    const ratings = page.locator('section', { has: page.locator('.rating-legend') });
    expect(await ratings.locator('.rating-legend li').allInnerTexts()).toEqual(legend);
    expect(await ratings.innerText()).toContain(total);
    await ratings.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot(page, `report-rating-shares-${lang}`);
    await page.context().close();
  });

  // Three causes of one false alarm each: 33.3% each, rounded alone, add up to 99.9%. The largest
  // remainder (a tie, so the first row) gets the tenth left over, as the doughnut's shares do.
  it('the shares of 结案结果 and 误报原因 add up to 100.0 per cent', async () => {
    const r = withFigures();
    r.figures.counts.byOutcome = [
      { state: 'resolved', outcome: null, label: null, count: 2 },
      { state: 'false_alarm', outcome: 'cause-a', label: '员工误触', count: 1 },
      { state: 'false_alarm', outcome: 'cause-b', label: '宠物触发', count: 1 },
      { state: 'false_alarm', outcome: 'cause-c', label: '门窗未关', count: 1 },
    ];
    const page = await open(r, 'zh');
    const shares = (title: string) =>
      sectionOf(page, title)
        .locator('tr:has(td)')
        .evaluateAll((rows) => rows.map((tr) => (tr as HTMLTableRowElement).cells[2]?.textContent ?? ''));
    expect(await shares('误报原因')).toEqual(['33.4%', '33.3%', '33.3%']);
    expect(await shares('结案结果')).toEqual(['100.0%']);
    await page.context().close();
  });

  /** Response times in seconds, the trend of two months and shares that rounded to 101%. */
  function withTimes(): Report {
    const r = withFigures();
    const spread = (p50: number | null, p90: number | null, max: number | null, count: number) => ({
      count,
      p50,
      p90,
      max,
    });
    r.figures.response = {
      acknowledge: spread(95, 240, 754, 17),
      dispatch: spread(40, 60, 120, 12),
      arrive: spread(610, 1260, 3900, 11),
      resolve: spread(null, null, null, 0),
    };
    expect(r.figures.children.length).toBeGreaterThan(0);
    r.figures.children = r.figures.children.map((ch: Report, i: number) => ({
      ...ch,
      response: { ...ch.response, acknowledge: { p50: 95 + i }, arrive: { p50: 600 } },
    }));
    const before = addMonths(MONTH, -1);
    r.charts.trend = [
      { month: before, alarms: 12, falseAlarms: 3, acknowledge: { p50: 95 }, arrive: { p50: 610 } },
      { month: MONTH, alarms: 8, falseAlarms: 1, acknowledge: { p50: 70 }, arrive: { p50: 480 } },
    ];
    // 28.6%, 28.6% and 42.9%: each rounded alone they read 29%, 29%, 43%, which is 101%.
    r.ratings.counts = { green: 2, yellow: 2, red: 3 };
    return r;
  }

  it('says the response times in 秒 and 分 (was plain seconds under “响应用时（秒）”)', async () => {
    const page = await open(withTimes(), 'zh');
    const response = sectionOf(page, '响应用时');
    expect(await response.locator('h2').first().innerText()).toBe('响应用时');
    const rows = await response
      .locator('table')
      .first()
      .locator('tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (c) => (c as HTMLElement).innerText)));
    expect(rows.slice(1)).toEqual([
      ['接警', '17', '1 分 35 秒', '4 分', '12 分 34 秒'],
      ['派警', '12', '40 秒', '1 分', '2 分'],
      ['到场', '11', '10 分 10 秒', '21 分', '1 时 5 分'],
      ['处置完毕', '0', '—', '—', '—'],
    ]);
    // 下级单位: the medians too, and no heading says （秒）.
    const children = response.locator('table').nth(1);
    expect((await children.locator('tr').nth(1).locator('td').allInnerTexts()).slice(3, 5)).toEqual([
      '1 分 35 秒',
      '10 分',
    ]);
    expect((await response.locator('th').allInnerTexts()).filter((x) => /秒|\(s\)/.test(x))).toEqual([]);
    // 下级单位 stands apart from the 处置完毕 row above it, as each section's heading does from the one before.
    const gap = await response.evaluate((s) => {
      const rows = s.querySelector('table')!.querySelectorAll('tr');
      const last = rows[rows.length - 1]!.getBoundingClientRect().bottom;
      return s.querySelectorAll('h2')[1]!.getBoundingClientRect().top - last;
    });
    expect(gap).toBeGreaterThanOrEqual(12);
    // The trend's axis in whole units of 秒 and 分, not 0, 100, 200 … seconds.
    const trend = await sectionOf(page, '近 12 个月趋势')
      .locator('canvas')
      .evaluate((c) => {
        const chart = (
          window as unknown as {
            Chart: {
              getChart(c: unknown): {
                data: { datasets: { label: string }[] };
                scales: { y: { ticks: { label: string }[] } };
              };
            };
          }
        ).Chart.getChart(c);
        return {
          axis: chart.scales.y.ticks.map((x) => x.label),
          labels: chart.data.datasets.map((d) => d.label),
        };
      });
    expect(trend.axis).toEqual(['0 秒', '2 分', '4 分', '6 分', '8 分', '10 分', '12 分']);
    expect(trend.labels).toEqual(['接警用时中位数', '到场用时中位数', '报警']);
    expect(await textProblems(page, { chinese: true })).toEqual(ONLY_FORMATS);
    expect(await sideways(page)).toEqual([]);
    await shot(page, 'report-times-hall');
    await page.context().close();
  });

  it('says 无数据 where a chart has nothing to draw, instead of bare axes', async () => {
    const page = await open(empty, 'zh');
    for (const [title, why] of [
      ['接警用时分布', '当月没有接警或到场记录'],
      ['警力工作量', '当月没有出警记录'],
      ['报警时段分布', '当月没有报警'],
    ] as const) {
      const s = sectionOf(page, title);
      expect(await s.locator('canvas').count(), title).toBe(0);
      expect((await s.locator('.chart-empty').innerText()).split(/\n+/), title).toEqual(['无数据', why]);
    }
    expect(await textProblems(page, { chinese: true })).toEqual(ONLY_FORMATS);
    await shot(page, 'report-empty-hall');
    await page.context().close();
  });

  it('reads right in English too', async () => {
    const page = await open(withFigures(), 'en', LAPTOP);
    const [y, m] = MONTH.split('-').map(Number);
    expect(await page.locator('.report-head .muted').innerText()).toBe(`${m}/${y} (Beijing time)`);
    expect(await chartLabels(page, 'Time to acknowledge')).toEqual([
      '0–30 s',
      '30 s–1 min',
      '1–2 min',
      '2–5 min',
      '5–10 min',
      '10–20 min',
      '20–30 min',
      '30–60 min',
      'over 60 min',
    ]);
    expect(
      await sectionOf(page, 'Escalated, unanswered').locator('tr td:last-child').allInnerTexts(),
    ).toEqual(['12 min 34 s', 'not acknowledged']);
    expect(await sectionOf(page, 'Site ratings').locator('.rating-legend li').allInnerTexts()).toEqual([
      'Green 3 60%',
      'Yellow 1 20%',
      'Red 1 20%',
    ]);
    expect(await sideways(page)).toEqual([]);
    await shot(page, 'report-figures-en-laptop');
    await sectionOf(page, 'Escalated, unanswered').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot(page, 'report-unanswered-en-laptop');
    await page.context().close();
  });
});
