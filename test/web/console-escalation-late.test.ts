import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  launchChromium,
  loginInPage,
  OFFICERS_TIME_ZONE,
  shot,
  textProblems,
  wrappedTexts,
} from './console-helpers.js';

/** How long the shop's panic had been open when the service came back: every P1 step long overdue. */
const DOWN_MS = (3 * 60 + 35) * 60_000;

const TIME = { hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' } as const;
const DAY = { year: 'numeric', month: 'numeric', day: 'numeric' } as const;
const format = (iso: string, lang: string, options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(lang, { timeZone: OFFICERS_TIME_ZONE, ...options }).format(new Date(iso));

/** An instant as the console's `fmtTime` words it on the city's clock: "22:05:03". */
const clock = (iso: string, lang: string) => format(iso, lang, TIME);

/** As `fmtOnDay` words it: the time when that is today, with the date when it is another day. */
function onDay(iso: string, lang: string): string {
  const today = format(iso, 'zh-CN', DAY) === format(new Date().toISOString(), 'zh-CN', DAY);
  return format(iso, lang, today ? TIME : { ...DAY, ...TIME });
}

/**
 * Escalation steps taken long after they fell due (the service was not running then) say so where the
 * desks read them: "升级 #2 → 北城派出所（应于 10:05:00 升级，服务恢复后补发）" in the incident's timeline
 * and 交接班's 本班升级的报警; a step taken on time reads as before.
 */
describe('an escalation step taken late, on the console (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let late: Incident;
  let onTime: Incident;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
    const core = svc.svc.need('core');
    // The shop's panic arrived before the stop: its steps (5 and 30 minutes on) fell due while the
    // service was down, and the maintainer takes them all at its first check. The bank's intrusion
    // (a P2, escalated after a second by the console city's policy) is taken on time.
    const ingest = async (
      key: string,
      device: string,
      site: string,
      type: 'panic' | 'intrusion',
      at: string,
    ) =>
      (await core.ingest({ key, source: 'panel', device, site, type, zone: '1', ts: at, receivedAt: at }))
        .incident!;
    const lateId = await ingest(
      'panel:panel-1:late',
      'panel-1',
      'shop-1',
      'panic',
      iso(Date.now() - DOWN_MS),
    );
    const onTimeId = await ingest('panel:panel-2:now', 'panel-2', 'bank-2', 'intrusion', iso(Date.now()));
    // Both taken (a poll outside a test: vi.waitFor).
    await vi.waitFor(
      async () => {
        expect((await core.get(lateId))?.escalations).toHaveLength(3);
        expect((await core.get(onTimeId))?.escalations).toHaveLength(1);
      },
      { timeout: 10_000, interval: 100 },
    );
    late = (await core.get(lateId))!;
    onTime = (await core.get(onTimeId))!;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  const iso = (ms: number) => new Date(ms).toISOString();
  const dueOf = (inc: Incident, step: number) => inc.escalations.find((e) => e.step === step)!.dueAt!;

  /** A city supervisor's desk in each language, logged in once. */
  const desks = new Map<string, Page>();
  async function desk(lang: 'zh-CN' | 'en'): Promise<Page> {
    const open = desks.get(lang);
    if (open) return open;
    const ctx = await browser.newContext({ viewport: HALL, locale: lang });
    if (lang === 'en') await ctx.addInitScript(() => localStorage.setItem('sharpeyes.lang', 'en'));
    const page = await ctx.newPage();
    const user = `sup-late-${lang === 'en' ? 'en' : 'zh'}`;
    await loginInPage(page, svc.httpUrl, user, await addUser(svc, user, 'supervisor', 'city'));
    desks.set(lang, page);
    return page;
  }

  const steps = (page: Page) =>
    page
      .locator('#timeline li.tl-escalation, #timeline li.tl-reannounce')
      .evaluateAll((els) => els.map((el) => el.querySelector('div')?.textContent ?? ''));

  const LANGS = [
    {
      lang: 'zh-CN' as const,
      lines: (due: (step: number) => string) => [
        `重新提醒 #1 → 北城一网格（应于 ${due(1)} 重新提醒，服务恢复后补发）`,
        `升级 #2 → 北城派出所（应于 ${due(2)} 升级，服务恢复后补发）`,
        `升级 #3 → 朔州市110指挥中心（应于 ${due(3)} 升级，服务恢复后补发）`,
      ],
      onTime: '升级 #1 → 南城派出所',
      cell: (at: string, due: (step: number) => string) =>
        `${at}（应于 ${due(2)} 升级，服务恢复后补发）、${at}（应于 ${due(3)} 升级，服务恢复后补发）`,
    },
    {
      lang: 'en' as const,
      lines: (due: (step: number) => string) => [
        `Re-announced #1 → 北城一网格 (due at ${due(1)}; sent when the service was back)`,
        `Escalated #2 → 北城派出所 (due at ${due(2)}; sent when the service was back)`,
        `Escalated #3 → 朔州市110指挥中心 (due at ${due(3)}; sent when the service was back)`,
      ],
      onTime: 'Escalated #1 → 南城派出所',
      cell: (at: string, due: (step: number) => string) =>
        `${at} (due at ${due(2)}; sent when the service was back), ${at} (due at ${due(3)}; sent when the service was back)`,
    },
  ];

  it.each(LANGS)(
    '$lang: the incident timeline says when each late step fell due',
    async ({ lang, ...want }) => {
      const page = await desk(lang);
      const due = (step: number) => onDay(dueOf(late, step), lang);
      await page.goto(`${svc.httpUrl}/#/incident/${late.id}`);
      await expect.poll(() => steps(page), { timeout: 10_000 }).toHaveLength(3);
      expect(await steps(page)).toEqual(want.lines(due));
      await shot(page, `70-incident-escalation-late-${lang}-1920`);
      if (lang === 'zh-CN')
        expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });

      // Taken within a second of falling due: as before, no due time beside it.
      await page.goto(`${svc.httpUrl}/#/incident/${onTime.id}`);
      await expect.poll(() => steps(page), { timeout: 10_000 }).toEqual([want.onTime]);
      expect(await page.locator('#timeline .step-late').count()).toBe(0);
    },
  );

  it.each(LANGS)(
    '$lang: 交接班 says when each late step fell due beside when it was taken',
    async ({ lang, ...want }) => {
      const page = await desk(lang);
      const due = (step: number) => onDay(dueOf(late, step), lang);
      await page.goto(`${svc.httpUrl}/#/handover`);
      const when = (inc: Incident) =>
        page.locator(`#ho-escalated tr[data-id="${inc.id}"] td`).nth(3).textContent();
      // Steps 2 and 3 went up the tree (step 1 re-announced at the shop's own desks): both late.
      const at = clock(late.escalations[1]!.at, lang);
      await expect.poll(() => when(late), { timeout: 10_000 }).toBe(want.cell(at, due));
      expect(await when(onTime)).toBe(clock(onTime.escalations[0]!.at, lang));
      await shot(page, `71-handover-escalation-late-${lang}-1920`);
      // Beside the late steps' long cell, the site's name and the alarm's type still read on one line
      // (the table broke them inside a word: "鑫源金/店", "紧急/按钮").
      expect(
        await wrappedTexts(page.locator('#ho-escalated td:nth-child(2), #ho-escalated td:nth-child(3)')),
      ).toEqual([]);
      // The centres a step went to may take a line each, each name whole ("朔州/市110指挥中心" was not).
      const brokenNames = await page
        .locator(`#ho-escalated tr[data-id="${late.id}"] td`)
        .nth(4)
        .evaluate(
          (td, names) => {
            const text = td.firstChild as Text;
            return names.filter((name) => {
              const at = text.data.indexOf(name);
              if (at < 0) return true;
              const range = document.createRange();
              range.setStart(text, at);
              range.setEnd(text, at + name.length);
              return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size > 1;
            });
          },
          ['北城派出所', '朔州市110指挥中心'],
        );
      expect(brokenNames).toEqual([]);
      if (lang === 'zh-CN')
        expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
    },
  );
});
