import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  CITY_YAML,
  HALL,
  launchChromium,
  loginInPage,
  moveClock,
  shopWithPanic,
  shot,
} from './console-helpers.js';

/**
 * The desk's clock reads Shanghai's 1 December 2026, 00:30 (the city's zone by default): the night
 * shift of 30 November (20:00–08:00), month 2026-12. A desk PC left on UTC reads 30 November 16:30
 * (the day shift, November), one in New York 11:30.
 */
const DESK_AT = Date.parse('2026-11-30T16:30:00Z');
const CITY = 'Asia/Shanghai';
const cityTime = (iso: string) =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: CITY,
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(iso));
const cityDateTime = (iso: string) =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: CITY,
    hour12: false,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(new Date(iso));

/** Runs `body` (an async function's body) in the page: a string, so vite leaves its `import()` alone. */
const inPage = <T = unknown>(page: Page, body: string): Promise<T> =>
  page.evaluate(`(async () => { ${body} })()`) as Promise<T>;

describe('a desk PC in another zone shows the city’s days, shifts, months and times (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let panic: Incident;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
    shop = await shopWithPanic(svc);
    const token = await svc.login('op-zone-api', 'operator', 'city');
    const { body } = await api<{ incidents: Incident[] }>(`${svc.httpUrl}/api/incidents?site=shop-1`, token);
    panic = body.incidents[0]!;
  });

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it('names the city’s zones in GET /api/me', async () => {
    const { status, body } = await api<{ username: string; zones?: unknown }>(
      `${svc.httpUrl}/api/me`,
      await svc.login('op-zone-api'),
    );
    expect(status).toBe(200);
    expect(body.username).toBe('op-zone-api');
    expect(body.zones).toEqual({ hall: CITY, months: CITY });
  });

  describe.each([
    ['UTC', 'sup-zone-utc'],
    ['America/New_York', 'sup-zone-ny'],
  ])('a desk in %s', (timezoneId, username) => {
    let desk: BrowserContext;
    let page: Page;
    const requests: string[] = [];

    beforeAll(async () => {
      desk = await browser.newContext({ viewport: HALL, locale: 'zh-CN', timezoneId });
      await desk.addInitScript(moveClock, DESK_AT - Date.now());
      page = await desk.newPage();
      page.on('request', (req) => requests.push(decodeURIComponent(req.url())));
      await svc.login(username, 'supervisor', 'city');
      await loginInPage(page, svc.httpUrl, username, `pw-${username}-123`);
      expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(timezoneId);
    });

    afterAll(async () => {
      await desk?.close();
    });

    it('shows the city’s clock in the top bar, and mutes the city’s shift', async () => {
      // A few minutes at most pass after 00:30 in Shanghai; the desk's own zone would read 16:3x or 11:3x.
      await expect.poll(() => page.locator('#clock').textContent()).toMatch(/^00:3\d:\d\d$/);
      await page.keyboard.press('m');
      const prefs = () =>
        inPage<{ mutedShift?: string }>(
          page,
          `const { api } = await import('/js/api.js');
          return (await api('/api/console/prefs')).prefs;`,
        );
      await expect.poll(async () => (await prefs()).mutedShift).toBe('2026-11-30-night');
      await page.keyboard.press('m');
      await expect.poll(async () => (await prefs()).mutedShift).toBeUndefined();
    });

    it('shows an alarm’s time on the city’s clock in the queue and on its card', async () => {
      await page.goto(`${svc.httpUrl}/#/queue`);
      const row = page.locator(`#queue-list .row[data-id="${panic.id}"]`);
      await expect.poll(() => row.locator('.c-time b').textContent()).toBe(cityTime(panic.openedAt));
      await page.goto(`${svc.httpUrl}/#/incident/${panic.id}`);
      await expect.poll(() => page.locator('#view').innerText()).toContain(cityDateTime(panic.openedAt));
      // The live wall's alarm banner and the site's test steps word times the same way.
      const words = await inPage(
        page,
        `const { alarmLabel } = await import('/live/wall-alarms.js');
        const { fmtClock } = await import('/js/site-test.js');
        const openedAt = ${JSON.stringify(panic.openedAt)};
        return {
          wall: alarmLabel({ id: 'INC', priority: 1, openedAt, events: [] }, '鑫源金店').detail,
          test: fmtClock(openedAt),
        };`,
      );
      expect(words).toEqual({
        wall: `INC · ${cityTime(panic.openedAt)} · 未确认`,
        test: cityTime(panic.openedAt),
      });
    });

    it('hands over the city’s shift', async () => {
      await page.goto(`${svc.httpUrl}/#/handover`);
      await expect
        .poll(() => page.locator('.handover-head .muted').first().textContent())
        .toBe('夜班 2026/11/30 20:00:00 – 2026/12/1 08:00:00');
      // The shift's incidents are asked from the shift's start, 20:00 in Shanghai.
      expect(requests).toContain(`${svc.httpUrl}/api/incidents?since=2026-11-30T12:00:00.000Z&limit=1000`);
    });

    it('offers the city’s months in the reports and colours the map by this month’s ratings', async () => {
      await page.goto(`${svc.httpUrl}/#/reports`);
      const first = page.locator('#rep-month option').first();
      await expect.poll(() => first.getAttribute('value')).toBe('2026-12');
      expect(await first.textContent()).toBe('2026年12月');
      expect(await page.locator('#rep-month option').nth(12).getAttribute('value')).toBe('2025-12');
      // The reports page asks for the month chosen; the map for its own idea of this month.
      const before = requests.length;
      await page.goto(`${svc.httpUrl}/#/map`);
      await expect
        .poll(() => requests.slice(before).find((u) => u.includes('/api/reports/ratings?month=')))
        .toBe(`${svc.httpUrl}/api/reports/ratings?month=2026-12`);
    });

    it('reads and writes investigation times on the city’s clock', async () => {
      await page.goto(`${svc.httpUrl}/#/investigate`);
      // The last hour, Shanghai's wall time: from 23:30 on 30 November.
      await expect.poll(() => page.locator('#inv-from').inputValue()).toMatch(/^2026-11-30T23:3\d$/);
      await shot(page, `40-zone-investigate-${timezoneId.replace('/', '-')}`);
      // The player's timeline (23:30–00:30 in Shanghai) ticks on Shanghai's quarter hours, its
      // midnight labelled with the day; the player's wall clock reads Shanghai's time.
      const played = await inPage(
        page,
        `const { Timeline } = await import('/js/playback/timeline.js');
        const { wallText } = await import('/js/playback/player-view.js');
        const [from, to] = [${DESK_AT - 3_600_000}, ${DESK_AT}];
        const tl = new Timeline({ lanes: [], view: { from, to }, bounds: { from, to }, onSeek: () => undefined });
        tl.renderAxis();
        return { ticks: [...tl.axis.children].map((el) => el.textContent), wall: wallText(to) };`,
      );
      expect(played).toEqual({
        ticks: ['23:30', '23:45', '12-01', '00:15', '00:30'],
        wall: '2026-12-01 00:30:00.000',
      });
      // What the investigator types is Shanghai's time too.
      await page.locator('#inv-from').fill('2026-11-30T20:00');
      await page.locator('#inv-to').fill('2026-12-01T00:15');
      await page.locator('#inv-search').click();
      await expect
        .poll(() =>
          requests.filter((u) => u.includes('/api/incidents?since=2026-11-30T12:00:00.000Z&until=')),
        )
        .toContainEqual(expect.stringContaining('until=2026-11-30T16:15:00.000Z'));
    });
  });
});
