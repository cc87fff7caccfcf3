import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
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
  wrappedTexts,
} from './console-helpers.js';

/** The console city with more units (own station first, distance, a busy one) and quick escalation. */
const SHIFT_YAML = CITY_YAML.replace(
  /units:\n[\s\S]*?(?=\n# P2)/,
  `units:
  - { id: car-n1, name: 北城巡逻1车, jurisdiction: north, location: { lat: 39.3358, lon: 112.4275 } }
  - { id: car-n2, name: 北城巡逻2车, jurisdiction: north, location: { lat: 39.3440, lon: 112.4330 } }
  - { id: team-n, name: 北城派出所值班组, kind: station_team, jurisdiction: north }
  - { id: team-s1, name: 南城处警队, kind: station_team, jurisdiction: south }
  - { id: car-s1, name: 南城巡逻1车, jurisdiction: south, location: { lat: 39.3235, lon: 112.4415 } }`,
).replace(
  /escalation:[\s\S]*$/,
  `escalation:
  checkSeconds: 0.5
  P1: [{ afterSeconds: 2, action: escalate }]
  P2: [{ afterSeconds: 1, action: escalate }]
# Several desks act on the same incidents in this walk (the browser's operator and an API client):
# acknowledging does not take an incident here. Ownership has its own tests (test/workflow).
workflow: { ownership: { takeOnAck: false } }
`,
);

const IDS_EXTRA = ['car-n2', 'team-n', 'car-s1'];

/** Opens a page of the console and checks it reads right at this size: nothing cut off, no raw ids, no English. */
async function checkPage(page: Page, name: string, chinese = true): Promise<void> {
  await page.waitForTimeout(300); // fonts, Leaflet tiles and the 5 s ages settle enough to read
  await shot(page, name);
  expect(await overflowProblems(page), `${name}: overflow`).toEqual([]);
  const text = await textProblems(page, { chinese, ids: undefined });
  expect(text.rawIds, `${name}: raw ids`).toEqual([]);
  expect(text.english, `${name}: English on the Chinese console`).toEqual([]);
  const ids = await textProblems(page, { chinese: false, ids: IDS_EXTRA });
  expect(ids.rawIds, `${name}: raw ids`).toEqual([]);
}

describe('a duty shift in the console (headless Chromium, 1920×1080 and 1366×768)', () => {
  let svc: TestService;
  let browser: Browser;
  let hall: BrowserContext;
  let laptop: BrowserContext;
  let page: Page;
  let small: Page;
  let shop: PanelSimulator;
  let bank: PanelSimulator;
  let school: PanelSimulator;
  let token: string;
  const byType = async (site: string, kind = 'alarm') => {
    const { body } = await api<{ incidents: Incident[] }>(
      `${svc.httpUrl}/api/incidents?site=${site}&kind=${kind}`,
      token,
    );
    return body.incidents[0]!;
  };
  const not404: string[] = [];

  beforeAll(async () => {
    svc = await startTestService({ yaml: SHIFT_YAML });
    token = await svc.login('op-api', 'operator', 'city');
    browser = await launchChromium();
    shop = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-1',
      secret: 'secret-panel-1',
      battery: 87,
      heartbeatSeconds: 10,
    });
    bank = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-2',
      secret: 'secret-panel-2',
      battery: 64,
      heartbeatSeconds: 10,
    });
    school = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-3',
      secret: 'secret-panel-3',
      battery: 92,
      heartbeatSeconds: 10,
    });
    await Promise.all([shop.connect(), bank.connect(), school.connect()]);
    await Promise.all([shop.sendHeartbeat(), bank.sendHeartbeat(), school.sendHeartbeat()]);
    hall = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    laptop = await browser.newContext({ viewport: LAPTOP, locale: 'zh-CN' });
    page = await hall.newPage();
    small = await laptop.newPage();
    for (const p of [page, small])
      p.on('response', (res) => {
        // A read that finds nothing (a verification not made yet) must not be a 404 the page shows.
        if (res.status() === 404 && res.url().includes('/api/') && res.request().method() === 'GET')
          not404.push(res.url());
      });
    const password = await addUser(svc, 'op-shift', 'operator', 'city');
    await loginInPage(page, svc.httpUrl, 'op-shift', password);
    await loginInPage(small, svc.httpUrl, 'op-shift', password);
  });

  afterAll(async () => {
    await Promise.all([shop?.close(), bank?.close(), school?.close()]);
    await browser?.close();
    await svc?.close();
  });

  it('orders the queue: unacknowledged by priority then age, in progress next, maintenance in its own tab', async () => {
    // An old fire at the school escalates; a panic at the shop comes later; the bank's intrusion
    // (P2) later still; and the shop's panel reports mains lost (a P4 maintenance ticket).
    await school.waitForAck(await school.send('fire', { zone: '1' }), 'received');
    await page.locator('#queue-list .row.escalated[data-site="school-3"]').waitFor({ timeout: 10_000 });
    await shop.waitForAck(await shop.send('panic', { zone: '1', cid: 'E120' }), 'received');
    await bank.waitForAck(await bank.send('intrusion', { zone: '2' }), 'received');
    await shop.send('trouble', { cid: 'E301' });
    await expect.poll(() => page.locator('.tab[data-tab=maintenance] .count').textContent()).toBe('1');
    const order = () =>
      page
        .locator('#queue-list .row')
        .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset['site']));
    // The 9-minute-old escalated fire first (oldest P1), then the newer P1, then the P2; no ticket.
    await expect.poll(order).toEqual(['school-3', 'shop-1', 'bank-2']);
    const fireRow = page.locator('#queue-list .row[data-site="school-3"]');
    await expect.poll(() => fireRow.locator('.badge-esc').textContent()).toContain('已升级至北城派出所');
    await expect.poll(() => fireRow.locator('.holder').textContent()).toBe('无人接警');
    await checkPage(page, '20-shift-queue-1920');
    await checkPage(small, '20-shift-queue-1366');

    // Acknowledging the fire moves it below every unacknowledged alarm, with who holds it.
    await page.locator('#queue-list .row[data-site="school-3"]').click();
    await page.keyboard.press('a');
    await expect.poll(order).toEqual(['shop-1', 'bank-2', 'school-3']);
    await expect.poll(() => fireRow.locator('.holder').textContent()).toBe('op-shift 处理中');
    expect(await page.locator('.queue-section').allTextContents()).toEqual(['待接警 · 2', '处置中 · 1']);

    // The maintenance tab: the ticket explained, not "故障".
    await page.keyboard.press('2');
    await expect
      .poll(() => page.locator('#queue-list .row[data-kind=maintenance] .c-type b').textContent())
      .toBe('主机断电（市电中断）');
    await checkPage(page, '21-shift-maintenance-1920');
    await page.keyboard.press('1');
  });

  it('marks an alarm nobody acknowledged in time as overdue, by how much', async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    await ctx.clock.install({ time: new Date() });
    const p = await ctx.newPage();
    await loginInPage(p, svc.httpUrl, 'op-shift', 'pw-op-shift-123');
    await p.locator('#queue-list .row[data-site="shop-1"]').waitFor();
    await ctx.clock.setSystemTime(new Date(Date.now() + 3 * 60_000));
    const late = p.locator('#queue-list .row.overdue[data-site="shop-1"] .badge-late');
    await late.waitFor({ timeout: 10_000 });
    expect(await late.textContent()).toMatch(/^超时 \d+ 分$/);
    await checkPage(p, '22-shift-overdue-1920');
    await ctx.close();
  });

  it('dispatch lists the incident’s own station first, with kind, state and distance in words', async () => {
    const panic = await byType('shop-1');
    // Another north car is busy at the school's fire.
    const fire = await byType('school-3');
    const sent = await api(`${svc.httpUrl}/api/incidents/${fire.id}/dispatch`, token, {
      method: 'POST',
      body: JSON.stringify({ unit: 'car-n2' }),
    });
    expect(sent).toMatchObject({ status: 200 });
    await page.goto(`${svc.httpUrl}/#/incident/${panic.id}`);
    await page.locator('#timeline li').first().waitFor();
    await page.keyboard.press('d');
    await page.locator('#overlay .unit-pick[data-unit]').first().waitFor();
    const rows = await page.locator('#overlay .unit-pick[data-unit]:not([data-unit=""])').evaluateAll((els) =>
      els.map((e) => ({
        unit: (e as HTMLElement).dataset['unit'],
        own: (e as HTMLElement).dataset['own'],
        text: (e as HTMLElement).innerText.replace(/\s+/g, ' '),
      })),
    );
    // Own station: free units nearest first, then the busy one; then the south station's, nearest first.
    expect(rows.map((r) => [r.unit, r.own])).toEqual([
      ['car-n1', 'true'],
      ['team-n', 'true'],
      ['car-n2', 'true'],
      ['team-s1', 'false'],
      ['car-s1', 'false'],
    ]);
    expect(rows[0]!.text).toMatch(/北城巡逻1车 巡逻车 待命 \d+ 米/);
    expect(rows[1]!.text).toMatch(/北城派出所值班组 派出所处警组 待命 \d+ 米/);
    expect(rows[2]!.text).toMatch(/北城巡逻2车 巡逻车 出警中 · 北城第一小学 \d\.\d 公里/);
    expect(await page.locator('#overlay .unit-group').allTextContents()).toEqual([
      '本所警力 · 北城派出所',
      '其他警力',
    ]);
    await checkPage(page, '23-shift-dispatch-1920');
    // The nearest free unit of the own station is chosen; arrows move over free units only.
    await expect
      .poll(() => page.locator('#overlay .unit-pick.chosen').getAttribute('data-unit'))
      .toBe('car-n1');
    await page.keyboard.press('ArrowDown');
    await expect
      .poll(() => page.locator('#overlay .unit-pick.chosen').getAttribute('data-unit'))
      .toBe('team-n');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.incident-head .chip').first().textContent()).toBe('已派警');
    await expect.poll(() => page.locator('#timeline').textContent()).toContain('派警 北城巡逻1车');
    await checkPage(page, '24-shift-incident-1920');
    await small.goto(`${svc.httpUrl}/#/incident/${panic.id}`);
    await small.locator('#timeline li').first().waitFor();
    await checkPage(small, '24-shift-incident-1366');
    expect(not404).toEqual([]);
  });

  it('checks inputs before sending and says every server refusal in words', async () => {
    const panic = await byType('shop-1');
    const box = page.locator('.note-form textarea');
    await box.fill('长'.repeat(4001));
    await expect.poll(() => page.locator('.note-form .note-count').textContent()).toBe('4001 / 4000');
    expect(await page.locator('.note-form .note-count').getAttribute('class')).toContain('over');
    let posted = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/notes')) posted++;
    });
    await page.locator('.note-form button[type=submit]').click();
    await expect
      .poll(() => page.locator('.note-form .note-problem').textContent())
      .toBe('备注不能超过 4000 个字（现在 4001 个字）');
    expect(posted).toBe(0);
    await box.fill('');
    // What the server says, through the console's own client, in both languages.
    // Written as source text: the test runner rewrites `import()` in functions it ships to the page.
    const refusal = (path: string, body: unknown): Promise<string> =>
      page.evaluate(`(async () => {
        const { api } = await import('/js/api.js');
        try {
          await api(${JSON.stringify(path)}, { method: 'POST', body: ${JSON.stringify(body)} });
          return 'accepted';
        } catch (err) {
          return err.message;
        }
      })()`);
    const notes = `/api/incidents/${panic.id}/notes`;
    expect(await refusal(notes, { text: 'x'.repeat(4001) })).toBe('备注不能超过 4000 个字');
    expect(await refusal(notes, { text: '   ' })).toBe('请填写备注');
    expect(await refusal(notes, { text: 'a', colour: 'red' })).toBe('请求中有系统不认识的项：colour');
    expect(await refusal(`/api/incidents/${panic.id}/dispatch`, { unit: 'car-x' })).toBe(
      '没有这个警力，或不在您的辖区',
    );
    expect(await refusal(`/api/incidents/${panic.id}/ack`, {})).toBe(
      '该报警当前的状态不能这样处理，可能已有他人处理，请看最新状态',
    );
    // Time ranges: an empty start, a reversed range.
    const range = (from: string, to: string): Promise<{ ok: boolean; message?: string }> =>
      page.evaluate(`(async () => {
        const { checkRange } = await import('/js/form-checks.js');
        const input = (v) => Object.assign(document.createElement('input'), { type: 'datetime-local', value: v });
        return checkRange(input(${JSON.stringify(from)}), input(${JSON.stringify(to)}));
      })()`);
    expect(await range('', '')).toEqual({ ok: false, message: '请填写开始时间' });
    const reversed = await range('2026-05-22T21:40', '2026-05-22T20:00');
    expect(reversed.ok).toBe(false);
    expect(reversed.message).toMatch(/^结束时间（.*20:00:00）早于开始时间（.*21:40:00），请调换或重新选择$/);
    await page.locator('#lang').click();
    await expect
      .poll(() => refusal(notes, { text: 'x'.repeat(4001) }))
      .toBe('The note may have at most 4000 characters');
    await page.locator('#lang').click();
    await expect.poll(() => page.locator('#nav a').first().textContent()).toBe('报警队列');
  });

  it('draws the map with the configured boundaries, clustered markers, incidents and ratings as layers', async () => {
    for (const [p, size] of [
      [page, '1920'],
      [small, '1366'],
    ] as const) {
      await p.goto(`${svc.httpUrl}/#/map`);
      await p.locator('#map-canvas[data-ready=true]').waitFor();
      await expect.poll(() => p.locator('#map-canvas path.area').count()).toBe(5);
      await expect
        .poll(() =>
          p
            .locator('#map-canvas .inc-pin')
            .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['site']).sort()),
        )
        .toEqual(['bank-2', 'school-3', 'shop-1']);
      // Names written on the map never overlap each other.
      const boxes = await p
        .locator('#map-canvas .site-label span, #map-canvas .area-label span')
        .evaluateAll((els) =>
          els.map((e) => {
            const r = e.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom];
          }),
        );
      expect(boxes.length).toBeGreaterThan(2);
      for (const [i, a] of boxes.entries())
        for (const b of boxes.slice(i + 1))
          expect(
            a[0]! < b[2]! && b[0]! < a[2]! && a[1]! < b[3]! && b[1]! < a[3]!,
            `labels overlap ${a} ${b}`,
          ).toBe(false);
      await checkPage(p, `25-shift-map-${size}`);
    }
    // Zoomed out, the sites of a street gather into one cluster.
    await page.evaluate(() => {
      const el = document.querySelector('#map-canvas') as HTMLElement & {
        leafletMap: { setZoom(z: number): void };
      };
      el.leafletMap.setZoom(12);
    });
    await page.locator('#map-canvas .cluster').first().waitFor();
    await shot(page, '26-shift-map-clustered-1920');
    // The rating layer instead of the plain sites.
    await page.locator('.leaflet-control-layers-base label', { hasText: '月度评级' }).click();
    await page.evaluate(() => {
      const el = document.querySelector('#map-canvas') as HTMLElement & {
        leafletMap: { setZoom(z: number): void };
      };
      el.leafletMap.setZoom(16);
    });
    await expect.poll(() => page.locator('#map-canvas .rating-dot').count()).toBeGreaterThan(0);
    await checkPage(page, '27-shift-map-ratings-1920');
  }, 60_000);

  it('hands the shift over: open, escalated, units, figures and notes kept on the server; printable', async () => {
    await page.goto(`${svc.httpUrl}/#/handover`);
    await page.locator('#ho-open tr[data-id]').first().waitFor();
    const fire = await byType('school-3');
    await page.locator(`#ho-escalated tr[data-id="${fire.id}"]`).waitFor();
    expect(await page.locator('#ho-units tr[data-unit="car-n1"]').textContent()).toContain(
      '出警中 · 鑫源金店',
    );
    expect(await page.locator('#ho-tickets tr[data-id]').allTextContents()).toEqual([
      expect.stringContaining('主机断电（市电中断）'),
    ]);
    await page.locator('#ho-note-form textarea').fill('鑫源金店主机断电，已通知店主，明早复查。');
    await page.locator('#ho-note-form button[type=submit]').click();
    await expect.poll(() => page.locator('#ho-notes').textContent()).toContain('鑫源金店主机断电');
    // Kept on the server: another desk of the city reads it.
    const notes = await api<{ notes: { text: string; author: string }[] }>(
      `${svc.httpUrl}/api/console/handover-notes`,
      await svc.login('sup-read', 'supervisor', 'city'),
    );
    expect(notes.body.notes.map((n) => [n.author, n.text])).toEqual([
      ['op-shift', '鑫源金店主机断电，已通知店主，明早复查。'],
    ]);
    await page.locator('#handover-view').evaluate((el) => el.scrollTo(0, 0));
    await checkPage(page, '28-shift-handover-1920');

    await small.goto(`${svc.httpUrl}/#/handover`);
    await small.locator('#ho-open tr[data-id]').first().waitFor();
    await checkPage(small, '28-shift-handover-1366');
    // At a laptop's width the sections stack, so a site's name and an alarm's type read on one line
    // ("北城第一小学", "紧急按钮"), not broken inside a word by a half-width table.
    expect(await wrappedTexts(small.locator('#ho-open td:nth-child(3), #ho-open td:nth-child(4)'))).toEqual(
      [],
    );
    await page.emulateMedia({ media: 'print' });
    await shot(page, '29-shift-handover-print');
    expect(await page.locator('#topbar').isVisible()).toBe(false);
    expect(await page.locator('.handover-sign').isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });
  });

  it('answers an unknown page with a way back, and has a favicon', async () => {
    const res = await page.goto(`${svc.httpUrl}/no/such/page`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('页面不存在');
    expect(await page.locator('#back-home').getAttribute('href')).toBe('/');
    await checkPage(page, '30-not-found-1920');
    await page.locator('#back-home').click();
    await page.locator('#view[data-view]').waitFor();
    const icon = await fetch(`${svc.httpUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(not404).toEqual([]);
  });

  it('every page of the operator reads right at both sizes', async () => {
    for (const [p, size] of [
      [page, '1920'],
      [small, '1366'],
    ] as const) {
      for (const view of ['queue', 'wall', 'investigate']) {
        await p.goto(`${svc.httpUrl}/#/${view}`);
        await p.locator(`#view[data-view=${view}]`).waitFor();
        await p.waitForTimeout(800);
        await checkPage(p, `31-shift-${view}-${size}`);
      }
    }
    // In English too: names, never ids, and nothing cut off (English words are longer).
    await small.locator('#lang').click();
    await expect.poll(() => small.locator('#nav a').first().textContent()).toBe('Alarm queue');
    const fire = await byType('school-3');
    for (const view of ['queue', `incident/${fire.id}`, 'map', 'handover']) {
      await small.goto(`${svc.httpUrl}/#/${view}`);
      await small.locator('#view[data-view]').waitFor();
      await small.waitForTimeout(800);
      await checkPage(small, `33-shift-en-${view.split('/')[0]}-1366`, false);
    }
    await small.locator('#lang').click();
    const sup = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });

    const s = await sup.newPage();
    await loginInPage(s, svc.httpUrl, 'sup-shift', await addUser(svc, 'sup-shift', 'supervisor', 'city'));
    await s.goto(`${svc.httpUrl}/#/reports`);
    await s.locator('#rep-ratings tr[data-site]').first().waitFor();
    await expect.poll(() => s.locator('#rating-rule').textContent()).toContain('本月误报 3 次及以上');
    await checkPage(s, '32-shift-reports-1920');
    await sup.close();
  }, 120_000); // eleven pages at two sizes, in two languages, each read and photographed
});
