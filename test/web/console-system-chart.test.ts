import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemHistoryStore } from '../../src/health/system-history.js';
import { historyNode } from '../../src/health/system-module.js';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  cityDay,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  moveClock,
  OK_MINUTE,
  shot,
} from './console-helpers.js';

const MIN = 60_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** The city's midnight (Asia/Shanghai, no summer time) that began the day an instant falls in. */
const cityMidnight = (ms: number) => Math.floor((ms + 8 * HOUR) / DAY) * DAY - 8 * HOUR;

/** `18:05` on the city's clock. */
const cityTime = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
  }).format(ms);

/**
 * A minute of yesterday on the city's clock within the last 24 hours: the middle of the part of the
 * day range before today's midnight (which is only a few minutes long just before midnight).
 */
function yesterdayMinute(now: number): number {
  const d = new Date(now + 8 * 3600_000);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - 8 * 3600_000;
  const at = Math.floor((now - 24 * 3600_000 + midnight) / 2 / MIN) * MIN;
  // Not one of the minutes written every five before the last hour (a minute is written once).
  return (now - at) % (5 * MIN) === 0 ? at + MIN : at;
}

/** The chart's texts of one kind, top to bottom then left to right, with where they sit. */
const texts = (page: Page, sel: string) =>
  page.locator(`#sys-history .sys-hist-chart ${sel}`).evaluateAll((els) =>
    els
      .map((e) => {
        const b = (e as SVGGraphicsElement).getBBox();
        // `at`: the y the label is set on (its gridline); `mid`: where its glyphs' middle fell.
        const at = Number(e.getAttribute('y'));
        return {
          text: e.textContent ?? '',
          x: b.x,
          y: b.y,
          right: b.x + b.width,
          mid: b.y + b.height / 2,
          at,
        };
      })
      .sort((a, b) => a.y - b.y || a.x - b.x),
  );

/** The plotted area of the waits (the background rectangle), in the chart's units. */
const waitArea = (page: Page) =>
  page.locator('#sys-history .sys-hist-bg').evaluate((e) => {
    const b = (e as SVGGraphicsElement).getBBox();
    return { x: b.x, y: b.y, width: b.width, height: b.height };
  });

/** `{month, day}` of an instant on the city's clock (Asia/Shanghai has no summer time). */
const shanghaiDay = (ms: number) => {
  const d = new Date(ms + 8 * 3600_000);
  return { month: d.getUTCMonth() + 1, day: d.getUTCDate() };
};

/**
 * A desk whose clock reads `clock` (and runs on from there), whose history ends at `until()` (the
 * start of its last minute), whatever the time the test runs at.
 */
async function deskAt(browser: Browser, clock: number, until: () => number): Promise<Page> {
  const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
  await context.addInitScript(moveClock, clock - Date.now());
  const page = await context.newPage();
  await page.route('**/api/system/history?*', (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('until', new Date(until()).toISOString());
    return route.continue({ url: url.toString() });
  });
  return page;
}

/**
 * The chart's range ends where the test says, whatever the time it runs at: the page's requests for
 * the history are given `until` (the API's own parameter for an earlier range), and the page's clock
 * is moved to the same instant (moveClock), so its "today" is that range's. Yesterday's 14:00 on the
 * city's clock by default: a mid-day range, its midnight well inside it, wholly in the past.
 */
describe('the system status history chart (headless Chromium): axes a supervisor can read', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  const now = cityMidnight(Date.now()) - 10 * HOUR;
  /** The instant the history asked for ends at (its last minute's start). */
  let until = now;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    const rows = new SystemHistoryStore(svc.svc.need('store').k);
    const node = historyNode(svc.svc);
    const ok = OK_MINUTE;
    // The last hour: at most 7 alarms a minute; a slow minute; and a minute every half hour before.
    for (let m = 50; m >= 5; m--)
      await rows.write(node, now - m * MIN, {
        ...ok,
        committed: m === 12 ? 7 : 3,
        ...(m === 10 ? { waitP99Ms: 250, waitMaxMs: 1800 } : {}),
      });
    for (let m = 23 * 60; m > 60; m -= 5) await rows.write(node, now - m * MIN, ok);
    // Yesterday, the day's slowest minute and the longest hold of the alarm thread.
    await rows.write(node, yesterdayMinute(now), { ...ok, waitP99Ms: 400, waitMaxMs: 900, loopMaxMs: 700 });
    browser = await launchChromium();
    page = await deskAt(browser, now, () => until);
    await loginInPage(page, svc.httpUrl, 'sup-chart', await addUser(svc, 'sup-chart', 'supervisor', 'city'));
    await page.goto(`${svc.httpUrl}/#/system`);
    await page.locator('#sys-history .sys-hist-chart').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('the wait axis names every decade with its unit, beside the plot, not over it', async () => {
    const area = await waitArea(page);
    const labels = (await texts(page, '.sys-hist-tick')).filter(
      (l) => l.mid >= area.y - 2 && l.mid <= area.y + area.height + 2,
    );
    expect(labels.map((l) => l.text)).toEqual(['1 秒', '100 毫秒', '10 毫秒', '1 毫秒']);
    // Each label beside its gridline (a decade apart: a quarter-ish of the height each), left of the plot.
    for (const l of labels) expect(l.right, l.text).toBeLessThanOrEqual(area.x);
    const gaps = labels.slice(1).map((l, i) => l.mid - labels[i]!.mid);
    for (const g of gaps) expect(Math.abs(g - area.height / 4)).toBeLessThan(2);
  });

  it('the stored alarms’ bars have their own axis with counts, and a bar stands to it', async () => {
    const area = await waitArea(page);
    const strip = await page
      .locator('#sys-history .sys-hist-cell')
      .first()
      .evaluate((e) => (e as SVGGraphicsElement).getBBox().y);
    const labels = (await texts(page, '.sys-hist-tick')).filter(
      (l) => l.mid > area.y + area.height + 2 && l.mid < strip,
    );
    // At most 7 a minute: the axis runs to 10.
    expect(labels.map((l) => l.text)).toEqual(['10 条', '5 条', '0 条']);
    for (const l of labels) expect(l.right, l.text).toBeLessThanOrEqual(area.x);
    const bars = await page.locator('#sys-history .sys-hist-bar').evaluateAll((els) =>
      els.map((e) => {
        const b = (e as SVGGraphicsElement).getBBox();
        return { y: b.y, height: b.height };
      }),
    );
    const tallest = bars.reduce((a, b) => (b.height > a.height ? b : a));
    const [ten, , zero] = labels;
    expect(Math.abs(tallest.y - (zero!.at - 0.7 * (zero!.at - ten!.at)))).toBeLessThan(0.5);
    expect(Math.abs(tallest.y + tallest.height - zero!.at)).toBeLessThan(0.5);
  });

  const chartShot = async (name: string) => {
    await page.locator('#sys-history').scrollIntoViewIfNeeded();
    await shot(page, name);
  };
  /** The 24-hour range chosen, and drawn (a point per 5 minutes). */
  const showDay = async () => {
    await page.locator('#sys-history button[data-hours="24"]').click();
    await expect
      .poll(() => page.locator('#sys-history .sys-hist-legend').innerText(), { timeout: 10_000 })
      .toContain('每点 5 分钟');
  };

  /** Back to Chinese if a step left the page in English (the language is the user's, kept by the page). */
  const inChinese = async () => {
    if ((await page.evaluate(() => localStorage.getItem('sharpeyes.lang'))) === 'en')
      await page.locator('#lang').click();
  };

  it('the time axis says the date where the day changes, on the city’s clock, in Chinese and in English', async () => {
    await chartShot('system-chart-hour');
    await showDay();
    const strip = await page
      .locator('#sys-history .sys-hist-cell')
      .first()
      .evaluate((e) => (e as SVGGraphicsElement).getBBox().y);
    const axis = async () => (await texts(page, '.sys-hist-tick')).filter((l) => l.y > strip);
    const labels = await axis();
    // The day before at the left, and today where it begins: under the tick of 00:00.
    const before = shanghaiDay(now - 24 * 3600_000);
    const today = shanghaiDay(now);
    const days = labels.filter((l) => /月/.test(l.text));
    expect(days.map((l) => l.text)).toEqual([
      `${before.month}月${before.day}日`,
      `${today.month}月${today.day}日`,
    ]);
    const xOf = (sel: string) =>
      page.locator(`#sys-history ${sel}`).evaluate((e) => Number(e.getAttribute('x')));
    const midnight = new Date(
      Date.UTC(new Date(now).getUTCFullYear(), today.month - 1, today.day) - 8 * 3600_000,
    ).toISOString();
    expect(await xOf(`text[data-day="${midnight}"]`)).toBeCloseTo(
      await xOf(`text[data-time="${midnight}"]`),
      3,
    );
    // The times are whole hours of the city's clock, every three hours.
    const times = labels.filter((l) => /^\d\d:\d\d$/.test(l.text)).map((l) => l.text);
    expect(times.length).toBeGreaterThanOrEqual(7);
    for (const time of times) expect(time).toMatch(/^(00|03|06|09|12|15|18|21):00$/);
    await chartShot('system-chart-day');
    await page.setViewportSize(LAPTOP);
    await page.waitForTimeout(400);
    await chartShot('system-chart-day-laptop');

    // The language changes the words only: the day chosen stays, and so do where the page was scrolled
    // to and the wait trace gathered since it opened.
    // Where it was scrolled to is the scroll offset: the card itself moves down by however much the
    // English tiles above it run longer than the Chinese (their words are the service's live state,
    // one to three lines each at laptop width), and stays on the screen.
    const kept = () =>
      page.evaluate(() => ({
        scrolled: document.querySelector('#system-view')!.scrollTop,
        top: Math.round(document.querySelector('#sys-history')!.getBoundingClientRect().top),
        screen: window.innerHeight,
        trace: Number(document.querySelector<SVGElement>('.sys-trace')?.dataset['points'] ?? 0),
      }));
    const held = await kept();
    expect(held.scrolled).toBeGreaterThan(100);
    await page.locator('#lang').click();
    try {
      await expect
        .poll(() => page.locator('#sys-history .sys-hist-legend').innerText())
        .toContain('one point per 5 minutes');
      expect(await page.locator('#sys-history button[data-hours="24"]').getAttribute('aria-pressed')).toBe(
        'true',
      );
      const after = await kept();
      expect(Math.abs(after.scrolled - held.scrolled)).toBeLessThanOrEqual(1);
      expect(after.top).toBeGreaterThanOrEqual(0);
      expect(after.top).toBeLessThan(after.screen - 100);
      expect(after.trace).toBeGreaterThanOrEqual(held.trace);
      expect(held.trace).toBeGreaterThan(0);
      await expect
        .poll(async () => (await axis()).filter((l) => /^[A-Z][a-z]{2} \d+$/.test(l.text)).map((l) => l.text))
        .toEqual([
          new Date(now - 24 * 3600_000).toLocaleDateString('en-US', {
            month: 'short',
            day: 'numeric',
            timeZone: 'Asia/Shanghai',
          }),
          new Date(now).toLocaleDateString('en-US', {
            month: 'short',
            day: 'numeric',
            timeZone: 'Asia/Shanghai',
          }),
        ]);
      expect((await texts(page, '.sys-hist-tick')).map((l) => l.text)).toEqual(
        expect.arrayContaining(['1 s', '100 ms', '10 ms', '1 ms', '0']),
      );
      await chartShot('system-chart-day-laptop-en');
      await page.locator('#sys-history button[data-hours="168"]').click();
      await expect
        .poll(() => page.locator('#sys-history .sys-hist-legend').innerText())
        .toContain('30 minutes');
      await chartShot('system-chart-week-laptop-en');
    } finally {
      // A failure in English leaves the page in Chinese and at the hall's width for the tests after.
      await inChinese();
      await page.setViewportSize(HALL);
    }
    await expect
      .poll(() => page.locator('#sys-history .sys-hist-legend').innerText())
      .toContain('每点 30 分钟');
    await chartShot('system-chart-week');
    // The range is in the address: a reload (or the address sent to a colleague) opens on it.
    expect(new URL(page.url()).hash).toBe('#/system/168h');
    await page.reload();
    await expect
      .poll(() => page.locator('#sys-history .sys-hist-legend').innerText(), { timeout: 10_000 })
      .toContain('每点 30 分钟');
    expect(await page.locator('#sys-history button[data-hours="168"]').getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it('the tooltips and the summary give the date of a time that is not today, on the city’s clock', async () => {
    await showDay();
    // A step's tooltip: its start with the date when not today, its end with it when another day.
    const steps = await page
      .locator('#sys-history .sys-hist-hit')
      .evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('data-at') ?? '')));
    const tipOf = async (ms: number) => {
      const start = steps.find((a) => a <= ms && ms < a + 5 * MIN)!;
      const title = await page.locator(`#sys-history [data-at="${new Date(start).toISOString()}"] title`);
      return { start, end: start + 5 * MIN, first: (await title.textContent())!.split('\n')[0] };
    };
    const dayOf = (ms: number) => cityDay(new Date(ms).toISOString());
    const old = await tipOf(yesterdayMinute(now));
    // The summary names the step it means by its start.
    const summary = await page.locator('#sys-hist-summary').innerText();
    const at = `${dayOf(old.start)} ${cityTime(old.start)}`;
    expect(summary).toContain(`最慢一段 99% 等待 400 毫秒（${at}）`);
    expect(summary).toContain(`报警线程最长被占用 700 毫秒（${at}）`);
    expect(old.first).toBe(
      `${dayOf(old.start)} ${cityTime(old.start)} – ${dayOf(old.end) === dayOf(old.start) ? '' : `${dayOf(old.end)} `}${cityTime(old.end)}`,
    );
    // Today's alone (the range ends at 14:00: half an hour ago is today).
    const recent = await tipOf(now - 30 * MIN);
    expect(recent.first).toBe(`${cityTime(recent.start)} – ${cityTime(recent.end)}`);
    await chartShot('system-chart-day-dates');
  });

  it('a step with only some of its minutes recorded is grey for the rest, as the summary counts them', async () => {
    await showDay();
    // Before the last hour a minute was recorded every five: each step there is one minute kept, four down.
    const steps = await page
      .locator('#sys-history .sys-hist-cell')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-cell') ?? ''));
    const stepOf = (ms: number) => steps.find((a) => Date.parse(a) <= ms && ms < Date.parse(a) + 5 * MIN)!;
    const at = stepOf(now - 3 * 3600_000);
    const widths = await page.evaluate((at) => {
      const w = (sel: string) => {
        const e = document.querySelector(`#sys-history ${sel}`) as SVGGraphicsElement | null;
        return e ? e.getBBox().width : null;
      };
      return { kept: w(`.sys-hist-cell[data-cell="${at}"]`), gap: w(`[data-part-gap="${at}"]`) };
    }, at);
    expect(widths.gap).not.toBeNull();
    expect(widths.gap! / (widths.kept! + widths.gap!)).toBeCloseTo(0.8, 2);
    expect(await page.locator(`#sys-history [data-at="${at}"] title`).textContent()).toContain(
      '其中 4 分钟无记录（服务未运行）',
    );
    // The last hour's steps, every minute recorded, have none.
    const recent = stepOf(now - 30 * MIN);
    expect(recent).toBeDefined();
    expect(await page.locator(`#sys-history [data-part-gap="${recent}"]`).count()).toBe(0);
    await chartShot('system-chart-day-part-down');
  });
  /**
   * The range's ends where a day changes close to them, and a mid-day range (the 24 hours ending at
   * `until`, its last minute's start): the morning's failure was 21:50, midnight 2 h 10 min from
   * the left edge, its date left out at a laptop's width.
   */
  const midnight = cityMidnight(now);
  const CASES = [
    { name: 'midnight 10 minutes after the left edge', until: midnight + DAY - 11 * MIN, shot: 'left' },
    { name: 'midnight 2 h 10 min after the left edge (21:50)', until: midnight + DAY - 2 * HOUR - 11 * MIN },
    { name: 'midnight 10 minutes before the right edge', until: midnight + 9 * MIN, shot: 'right' },
    { name: 'mid-day (14:00)', until: now },
  ];
  const WIDTHS = [HALL, LAPTOP, { width: 1280, height: 800 }];

  /** The day row's and the times' labels under the strip, with where their glyphs sit. */
  const axisLabels = () =>
    page.locator('#sys-history .sys-hist-chart').evaluate((chart) => {
      const strip = (chart.querySelector('.sys-hist-cell, .sys-hist-gap') as SVGGraphicsElement).getBBox();
      const width = (chart as SVGSVGElement).viewBox.baseVal.width;
      const labels = Array.from(chart.querySelectorAll<SVGTextElement>('text'))
        .map((e) => {
          const b = e.getBBox();
          return {
            text: e.textContent ?? '',
            day: e.dataset['day'],
            time: e.dataset['time'],
            x: Number(e.getAttribute('x')),
            left: b.x,
            right: b.x + b.width,
            top: b.y,
            bottom: b.y + b.height,
          };
        })
        .filter((l) => l.top > strip.y + strip.height);
      return { width, labels };
    });
  const dateIn = (lang: 'zh-CN' | 'en', ms: number) => {
    if (lang === 'en')
      return new Date(ms).toLocaleDateString('en-US', {
        month: 'short',
        day: 'numeric',
        timeZone: 'Asia/Shanghai',
      });
    const d = shanghaiDay(ms);
    return `${d.month}月${d.day}日`;
  };

  it('near midnight too, the axis says the date of its left edge and of the day change, no label over another, at every width', async () => {
    try {
      for (const lang of ['zh-CN', 'en'] as const) {
        if (lang === 'en') await page.locator('#lang').click();
        for (const size of WIDTHS) {
          await page.setViewportSize(size);
          for (const c of CASES) {
            until = c.until;
            const to = Math.floor(until / MIN) * MIN + MIN;
            const from = to - DAY;
            const day = cityMidnight(to - 1);
            const where = `${c.name}, ${lang} at ${size.width}`;
            await page.goto(`${page.url().replace(/#.*/, '')}#/system/24h`);
            await page.reload();
            // Drawn for this range: its left edge's date is the one for `from`.
            await expect
              .poll(async () => (await axisLabels()).labels.filter((l) => l.day).map((l) => l.day), {
                timeout: 10_000,
                message: where,
              })
              .toContain(new Date(day).toISOString());
            const { width, labels } = await axisLabels();
            const days = labels.filter((l) => l.day).sort((a, b) => a.left - b.left);
            expect(
              days.map((l) => l.text),
              where,
            ).toEqual([dateIn(lang, from), dateIn(lang, to - 1)]);
            expect(
              days.map((l) => l.day),
              where,
            ).toEqual([new Date(from).toISOString(), new Date(day).toISOString()]);
            // The day change's date sits at its line and its 00:00; the left edge's before the line.
            const [first, change] = days as [(typeof days)[0], (typeof days)[0]];
            const tick = labels.find((l) => l.time === new Date(day).toISOString());
            expect(tick, where).toBeDefined();
            expect(change.x, where).toBeCloseTo(tick!.x, 3);
            expect(change.left, where).toBeLessThanOrEqual(change.x + 6);
            expect(change.right, where).toBeGreaterThanOrEqual(change.x - 6);
            expect(first.right, where).toBeLessThanOrEqual(change.x);
            // Every label whole in the chart, none over another.
            for (const l of labels) {
              expect(l.left, `${where}: ${l.text}`).toBeGreaterThanOrEqual(0);
              expect(l.right, `${where}: ${l.text}`).toBeLessThanOrEqual(width);
            }
            // (A label's box is its line's, about 16 px for 11 px type: the rows' boxes touch by a pixel.)
            const over = labels.flatMap((a, i) =>
              labels
                .slice(i + 1)
                .filter(
                  (b) =>
                    a.left < b.right + 2 &&
                    b.left < a.right + 2 &&
                    a.top < b.bottom - 2 &&
                    b.top < a.bottom - 2,
                )
                .map((b) => `${a.text} × ${b.text}`),
            );
            expect(over, where).toEqual([]);
            if (c.shot) {
              await page.locator('#sys-history').scrollIntoViewIfNeeded();
              await shot(page, `system-chart-midnight-${c.shot}-${size.width}-${lang}`);
            }
          }
        }
      }
    } finally {
      until = now;
      await inChinese();
      await page.setViewportSize(HALL);
    }
  }, 180_000);
});

/**
 * A second node joined the city twenty minutes ago: before its first minute recorded it did not
 * exist, so the hour is not 服务未运行 for a quarter of it (30 of 100 node-minutes, over two nodes)
 * and no step is half grey; the summary says when it joined, a step before it that it had not yet.
 */
describe('the system status history (headless Chromium): a node that joined part way through the range', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  // Yesterday's 14:00 on the city's clock, whatever the time the test runs at: the minutes before
  // the node joined are today's then (at 00:10, 23:50 would be said with its date).
  const now = cityMidnight(Date.now()) - 10 * HOUR;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    const rows = new SystemHistoryStore(svc.svc.need('store').k);
    // This node from 50 minutes before the range's end, the new one from 20, both to its last minute.
    for (let m = 50; m >= 0; m--) await rows.write(historyNode(svc.svc), now - m * MIN, OK_MINUTE);
    for (let m = 20; m >= 0; m--) await rows.write('node-2', now - m * MIN, OK_MINUTE);
    browser = await launchChromium();
    page = await deskAt(browser, now, () => now);
    await loginInPage(page, svc.httpUrl, 'sup-join', await addUser(svc, 'sup-join', 'supervisor', 'city'));
    await page.goto(`${svc.httpUrl}/#/system`);
    await page.locator('#sys-history .sys-hist-chart').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('is not counted as not running before it joined, and says when it joined (Chinese and English)', async () => {
    const before = new Date(now - 30 * MIN).toISOString();
    const summary = await page.locator('#sys-hist-summary').innerText();
    expect(summary).not.toContain('服务未运行');
    expect(summary).toContain(`新加入节点 1 个（${cityTime(now - 20 * MIN)} 起）`);
    expect(await page.locator('#sys-history [data-part-gap], #sys-history [data-gap]').count()).toBe(0);
    const tip = await page.locator(`#sys-history [data-at="${before}"] title`).textContent();
    expect(tip).toContain('1 个节点尚未加入（不计入服务未运行）');
    expect(tip).not.toContain('无记录（服务未运行）');
    expect(
      await page
        .locator(`#sys-history [data-at="${new Date(now - 10 * MIN).toISOString()}"] title`)
        .textContent(),
    ).not.toContain('尚未加入');
    await page.locator('#sys-history').scrollIntoViewIfNeeded();
    await shot(page, 'system-history-node-joined');

    await page.locator('#lang').click();
    await expect
      .poll(() => page.locator('#sys-hist-summary').innerText(), { timeout: 10_000 })
      .toContain(`nodes joined: 1 (from ${cityTime(now - 20 * MIN)})`);
    expect(await page.locator('#sys-hist-summary').innerText()).not.toContain('not running');
    expect(await page.locator(`#sys-history [data-at="${before}"] title`).textContent()).toContain(
      'nodes not joined yet: 1 (not counted as not running)',
    );
    await page.locator('#sys-history').scrollIntoViewIfNeeded();
    await shot(page, 'system-history-node-joined-en');
  });
});
