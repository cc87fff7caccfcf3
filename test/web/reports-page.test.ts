import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactsBackfill } from '../../src/reports/facts-backfill.js';
import { addMonths, monthOf } from '../../src/reports/local-time.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { REPORT_CITY } from '../reports/report-fixture.js';
import { alarms, seedIncidents } from '../reports/seed-history.js';
import { addUser, HALL, launchChromium, loginInPage, shot, textProblems } from './console-helpers.js';

/** The report city with 东城派出所, a new station with no sites and no units yet. */
const YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
${REPORT_CITY(false).replace(
  '      - id: south\n',
  '      - { id: east, name: 东城派出所, kind: station }\n      - id: south\n',
)}
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

  it('each sent notice shows every station’s receipt: who confirmed, when, how long after, the silent first; live', async () => {
    await addUser(svc, 'op-north', 'operator', 'north', '北城值班 王磊');
    const [sup, northDesk, southDesk] = await Promise.all([
      svc.login('sup-city', 'supervisor', 'city'),
      svc.login('op-north', 'operator', 'north'),
      svc.login('op-south', 'operator', 'south'),
    ]);
    const sent = await api<{ id: string }>(`${svc.httpUrl}/api/notices`, sup, {
      method: 'POST',
      body: JSON.stringify({
        to: ['north', 'south', 'north-grid-1'],
        text: '今晚 20:00 起加强金融网点巡逻',
        receiptMinutes: 10,
      }),
    });
    expect(sent.status).toBe(201);
    const confirm = (token: string) =>
      api(`${svc.httpUrl}/api/notices/${sent.body.id}/receipt`, token, { method: 'POST' });
    expect((await confirm(northDesk)).status).toBe(200);
    await page.evaluate(() => {
      location.hash = '#/queue';
    });
    await page.locator('#nav a[data-nav=reports]').click();
    const block = page.locator(`#rep-sent .sent-notice[data-notice="${sent.body.id}"]`);
    const rows = () =>
      block
        .locator('tr[data-node]')
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (c) => (c as HTMLElement).innerText)));
    await block.waitFor();
    const now = await rows();
    expect(now.map((r) => [r[0], r[1], r[4]])).toEqual([
      ['北城一网格', '未签收', '—'],
      ['南城派出所', '未签收', '—'],
      ['北城派出所', '按时签收', '北城值班 王磊'],
    ]);
    expect(now[2]![3]).toMatch(/^\d+ 秒$/);
    expect(now[0]![3]).toMatch(/^已等 \d+ 秒$/);
    expect(await block.locator('.receipt-count').innerText()).toBe('已签收 1/3');
    expect(await block.locator('[data-user="op-north"]').getAttribute('title')).toContain('op-north');
    // South confirms: the sender's page hears it (notice:receipt) and redraws, no reload.
    expect((await confirm(southDesk)).status).toBe(200);
    await expect.poll(() => block.locator('.receipt-count').innerText()).toBe('已签收 2/3');
    expect((await rows()).map((r) => r[0])).toEqual(['北城一网格', '北城派出所', '南城派出所']);
    await block.scrollIntoViewIfNeeded();
    await shot(page, 'reports-notice-receipts');
    expect(await textProblems(page, { chinese: true, ids: ['north', 'south', 'north-grid-1'] })).toEqual({
      rawIds: [],
      english: [],
    });
  });

  it('a station’s supervisor following a link to a notice not theirs reads why, in Chinese (404)', async () => {
    const sup = await svc.login('sup-city', 'supervisor', 'city');
    const sent = await api<{ id: string }>(`${svc.httpUrl}/api/notices`, sup, {
      method: 'POST',
      body: JSON.stringify({ to: ['south'], text: '南城辖区专项检查' }),
    });
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const north = await ctx.newPage();
    await loginInPage(
      north,
      svc.httpUrl,
      'sup-north',
      await addUser(svc, 'sup-north', 'supervisor', 'north'),
    );
    await north.evaluate((id) => {
      location.hash = `#/reports/notice/${id}`;
    }, sent.body.id);
    await expect
      .poll(() =>
        north
          .locator('#notice-refused')
          .innerText()
          .catch(() => ''),
      )
      .toBe('找不到这条通知：它不存在，或不是本单位发出或收到的通知');
    expect(await north.locator('#rep-sent').innerText()).not.toContain('南城辖区专项检查');
    // At the top of the page, where the officer who followed the link looks.
    expect(
      await north.locator('#rep-focus').evaluate((el) => el.getBoundingClientRect().bottom),
    ).toBeLessThan(HALL.height);
    await shot(north, 'reports-notice-not-theirs');
    await ctx.close();
  });

  it.each([
    [
      'sup-east',
      'east',
      {
        escalated: '目前没有无人响应的升级报警',
        times: [`${label(NOW_MONTH)}至今辖区内没有报警`, '您的辖区内没有登记警力'],
        ratings: '您的辖区内没有联网单位',
        sent: '本单位还没有发出过通知',
      },
      {
        escalated: 'No escalated alarm is waiting for an answer',
        times: [
          `No alarms in your area so far in ${Number(NOW_MONTH.slice(5))}/${NOW_MONTH.slice(0, 4)}`,
          'No units are registered in your area',
        ],
        ratings: 'There are no connected sites in your area',
        sent: 'Your unit has not sent any notice yet',
      },
    ],
    [
      'sup-grid',
      'north-grid-1',
      {
        escalated: '目前没有无人响应的升级报警',
        times: ['您的辖区内没有派出所', '您的辖区内没有登记警力'],
        ratings: null,
        sent: '本单位还没有发出过通知',
      },
      null,
    ],
  ])(
    '%s (%s): each card with nothing to show says why, in Chinese and English',
    async (user, scope, zh, en) => {
      const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
      const p = await ctx.newPage();
      await loginInPage(p, svc.httpUrl, user, await addUser(svc, user, 'supervisor', scope));
      await p.locator('#nav a[data-nav=reports]').click();
      const said = async (want: typeof zh) => {
        await expect.poll(() => p.locator('#rep-times .empty-state').allInnerTexts()).toEqual(want.times);
        expect(await p.locator('#rep-escalated .empty-state').innerText()).toBe(want.escalated);
        await expect.poll(() => p.locator('#rep-sent .empty-state').innerText()).toBe(want.sent);
        if (want.ratings) expect(await p.locator('#rep-ratings .empty-state').innerText()).toBe(want.ratings);
        // No card is left saying only "—".
        for (const id of ['#rep-escalated', '#rep-times', '#rep-ratings', '#rep-sent'])
          expect(
            (await p.locator(id).innerText()).split('\n').filter((l) => l.trim() === '—'),
            id,
          ).toEqual([]);
      };
      await said(zh);
      await shot(p, `reports-empty-${scope}`);
      if (en) {
        await p.locator('#lang').click();
        await p.locator('#rep-times h3', { hasText: 'Response times' }).first().waitFor();
        await said(en);
        await shot(p, `reports-empty-${scope}-en`);
      }
      await ctx.close();
    },
  );
});
