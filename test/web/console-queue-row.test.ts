import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
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

/** The city's centre and a district's, by the long names real ones have, starting alike. */
const CITY_CENTRE = '朔州市公安局110指挥中心';
const DISTRICT_CENTRE = '朔州市公安局朔城区分局指挥中心';

/**
 * The console city with the district's centre between the city's and 北城派出所 (the north station
 * and its grids moved under it): a panic nobody takes goes straight up to the city's centre, an
 * intrusion up step by step, to the district's.
 */
function centresYaml(): string {
  const lines = CITY_YAML.replace('name: 朔州市110指挥中心', `name: ${CITY_CENTRE}`)
    .replace(
      /escalation:[\s\S]*$/,
      `escalation:
  checkSeconds: 0.5
  P1: [{ afterSeconds: 1, action: escalate, to: root }]
  P2: [{ afterSeconds: 1, action: escalate }, { afterSeconds: 2, action: escalate }]
`,
    )
    .split('\n');
  const north = lines.indexOf('      - id: north');
  const south = lines.indexOf('      - id: south');
  return [
    ...lines.slice(0, north),
    '      - id: district',
    `        name: ${DISTRICT_CENTRE}`,
    '        kind: district',
    '        children:',
    ...lines.slice(north, south).map((l) => `    ${l}`),
    ...lines.slice(south),
  ].join('\n');
}

/**
 * A station's queue with one alarm gone up to each centre: a chip too narrow shortens the names'
 * shared start ("朔州市公安局") to "…", then drops the words before the name, then shortens the shared
 * end ("指挥中心"), never the part that tells them apart, so a duty officer reads which at a glance.
 * The row's chip used to cut the end: both read "⇧ 已升级至朔州市公安局…".
 */
describe('the queue rows of alarms escalated to two centres whose names start alike (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  const panels: PanelSimulator[] = [];
  let password: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: centresYaml() });
    browser = await launchChromium();
    panels.push(await shopWithPanic(svc));
    const school = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-3',
      secret: 'secret-panel-3',
      heartbeatSeconds: 10,
    });
    await school.connect();
    panels.push(school);
    await school.waitForAck(await school.send('intrusion', { zone: '1' }), 'received');
    password = await addUser(svc, 'op-north', 'operator', 'north');
  });

  afterAll(async () => {
    for (const p of panels) await p.close();
    await browser?.close();
    await svc?.close();
  });

  /** The chip as shown (what of it is hidden is not in innerText) and whether its end is cut. */
  const chipOf = (page: Page, site: string) =>
    page.locator(`#queue-list .row.escalated[data-site="${site}"] .badge-esc`).evaluate((el) => {
      const r = el.getBoundingClientRect();
      const cell = el.closest('.c-state')!.getBoundingClientRect();
      return {
        text: (el as HTMLElement).innerText,
        cut: el.scrollWidth > el.clientWidth || r.right > cell.right + 0.5,
        title: el.getAttribute('title'),
      };
    });

  it.each([
    [1920, 1080, 'zh-CN', { city: '⇧ 已升级至…110指挥中心', district: '⇧ …朔城区分局指挥中心 ×2' }],
    [1280, 900, 'zh-CN', { city: '⇧ 已升级至…110指挥中心', district: '⇧ …朔城区分局… ×2' }],
    [1366, 768, 'en-US', { city: '⇧ …110指挥中心', district: '⇧ …朔城区分局… ×2' }],
  ] as const)('at %i×%i (%s) each chip reads which centre', async (width, height, locale, shown) => {
    const desk: BrowserContext = await browser.newContext({ viewport: { width, height }, locale });
    // Five minutes on: both overdue, their "超时 4 分" beside the chip, as on a busy night.
    await desk.addInitScript(moveClock, 5 * 60_000);
    const page: Page = await desk.newPage();
    try {
      await loginInPage(page, svc.httpUrl, 'op-north', password);
      if (locale === 'en-US') await page.locator('#lang').click();
      for (const site of ['shop-1', 'school-3'])
        await page
          .locator(`#queue-list .row.escalated.overdue[data-site="${site}"]`)
          .waitFor({ timeout: 10_000 });
      await expect
        .poll(() => page.locator('#queue-list .row[data-site="school-3"] .badge-esc').textContent(), {
          timeout: 10_000,
        })
        .toContain('×2');
      await shot(page, `12-queue-row-centres-${width}-${locale}`);
      const city = await chipOf(page, 'shop-1');
      const district = await chipOf(page, 'school-3');
      expect([city.cut, district.cut]).toEqual([false, false]);
      expect({ city: city.text, district: district.text }).toEqual(shown);
      // The whole path on hover, as before.
      expect(city.title).toBe(CITY_CENTRE);
      expect(district.title).toBe(`北城派出所 → ${DISTRICT_CENTRE}`);
    } finally {
      await desk.close();
    }
  });
});
