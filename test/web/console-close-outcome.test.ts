import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_OUTCOMES as SERVER_OUTCOMES } from '../../src/core/close-outcomes.js';
import type { Incident } from '../../src/core/incident-types.js';
import { CLOSE_OUTCOMES as CONSOLE_OUTCOMES, NEEDS_NOTE } from '../../web/js/close-outcomes.js';
import { ev } from '../core/core-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from './console-helpers.js';

/**
 * Closing an alarm in the console asks how it was closed: 误报 (F) its cause, 结案 (R) what it was,
 * chosen with the number keys as the dispatch dialog chooses a unit. The choice is required here
 * (the API still takes a close without one), and it is read back on the timeline and in the 已结 tab.
 */
describe('the close dialog asks for the outcome, by number key', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let token: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const post = (p: string, body: unknown = {}) =>
    api<Incident>(url(p), token, { method: 'POST', body: JSON.stringify(body) });
  const incident = async (id: string) => (await api<Incident>(url(`/api/incidents/${id}`), token)).body;
  const dialogRows = () =>
    page
      .locator('#overlay .outcome-pick')
      .evaluateAll((els) =>
        els.map((e) => [e.querySelector('kbd')?.textContent, e.querySelector('b')?.textContent]),
      );
  const chosen = () =>
    page
      .locator('#overlay .outcome-pick.chosen')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['outcome']));

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    page = await ctx.newPage();
    const password = await addUser(svc, 'op-close', 'operator', 'city');
    token = await svc.login('op-close', 'operator', 'city');
    await loginInPage(page, svc.httpUrl, 'op-close', password);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('the console offers the server’s codes, in its order', () => {
    for (const to of ['resolved', 'false_alarm'] as const)
      expect(CONSOLE_OUTCOMES[to]).toEqual(SERVER_OUTCOMES[to].map((o) => o.code));
    expect(SERVER_OUTCOMES.resolved.filter((o) => 'needsNote' in o).map((o) => o.code)).toEqual(NEEDS_NOTE);
  });

  it('F in the queue: Enter alone is refused in words, 2 picks 设备故障, and it is stored and shown', async () => {
    const id = (await svc.svc.need('core').ingest(ev('panic', { site: 'shop-1', zone: '1' }))).incident!;
    expect((await post(`/api/incidents/${id}/ack`)).status).toBe(200);
    const row = page.locator(`#queue-list .row[data-id="${id}"]`);
    await row.waitFor();
    await row.click();
    await page.keyboard.press('f');
    await page.locator('#overlay .dialog').waitFor();
    expect(await page.locator('#overlay h2').textContent()).toContain('误报');
    expect(await page.locator('#overlay .picker-title').textContent()).toContain('误报原因');
    expect(await dialogRows()).toEqual([
      ['1', '用户误操作'],
      ['2', '设备故障'],
      ['3', '环境因素（宠物、天气、光线）'],
      ['4', '施工或维修未报备'],
      ['5', '原因不明'],
    ]);
    expect((await dialogRows()).map((r) => r[1])).toEqual(SERVER_OUTCOMES.false_alarm.map((o) => o.label));
    expect(await chosen()).toEqual([]);

    // Enter out of habit files nothing: the dialog stays and says what is missing.
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#overlay .dialog-problem').textContent())
      .toBe('请先选择误报原因（数字键 1–5）');
    expect((await incident(id)).state).toBe('acknowledged');

    await page.keyboard.press('2');
    expect(await chosen()).toEqual(['device_fault']);
    // Chosen now: the sentence that asked for it goes.
    expect(await page.locator('#overlay .dialog-problem').textContent()).toBe('');
    await page.keyboard.press('ArrowDown');
    expect(await chosen()).toEqual(['environment']);
    await page.keyboard.press('ArrowUp');
    expect(await chosen()).toEqual(['device_fault']);
    await page.locator('#overlay textarea').fill('前门磁松动，已通知安装商');
    await shot(page, 'close-outcome-dialog-false-alarm');
    await page.keyboard.press('Enter');
    await page.locator('#overlay .dialog').waitFor({ state: 'hidden' });
    await expect.poll(async () => (await incident(id)).state).toBe('false_alarm');
    expect((await incident(id)).transitions.at(-1)).toMatchObject({
      to: 'false_alarm',
      outcome: 'device_fault',
      note: '前门磁松动，已通知安装商',
    });

    // The 已结 tab says how each was closed.
    await page.keyboard.press('3');
    await expect
      .poll(() => page.locator(`#queue-list .row[data-id="${id}"] .outcome-line`).textContent())
      .toBe('设备故障');
    await page.locator(`#queue-list .row[data-id="${id}"]`).click();
    await expect.poll(() => page.locator('#queue-side .side-outcome').textContent()).toBe('设备故障');
    // Held by nobody now: the side panel names who closed it, not "op-close 处理中".
    expect(await page.locator('#queue-side .holder').textContent()).toBe('op-close 判定误报');
    await shot(page, 'close-outcome-closed-tab');

    // The incident page's timeline carries it beside the move.
    await page.goto(url(`/#/incident/${id}`));
    await page.locator('#timeline li.tl-transition').first().waitFor();
    const closing = page.locator('#timeline li.tl-transition').last();
    await expect.poll(() => closing.locator('b').textContent()).toBe('已确认 → 误报');
    expect(await closing.locator('.outcome').textContent()).toBe('设备故障');
    expect(await closing.locator('.note-text').textContent()).toBe('前门磁松动，已通知安装商');
    await shot(page, 'close-outcome-timeline');
  });

  it('R on the incident page: 5 其他 wants a note, then 结案 is stored with it', async () => {
    const id = (
      await svc.svc.need('core').ingest(ev('panic', { site: 'bank-2', device: 'panel-2', zone: '1' }))
    ).incident!;
    expect((await post(`/api/incidents/${id}/ack`)).status).toBe(200);
    for (const [step, outcome] of [
      ['call-site', 'reached'],
      ['forward-station', 'forwarded'],
    ])
      expect((await post(`/api/incidents/${id}/steps/${step}`, { outcome })).status).toBe(200);
    await page.goto(url(`/#/incident/${id}`));
    await page.locator('#timeline li').first().waitFor();
    await page.keyboard.press('r');
    await page.locator('#overlay .dialog').waitFor();
    expect(await page.locator('#overlay .picker-title').textContent()).toContain('处置结果');
    expect((await dialogRows()).map((r) => r[1])).toEqual([
      '真实警情·已处置',
      '真实警情·已移交（消防、急救等）',
      '警情已消除·未发现异常',
      '测试或演练',
      '其他（在备注中说明）',
    ]);
    // The console's words are the server's (what the reports print).
    expect((await dialogRows()).map((r) => r[1])).toEqual(SERVER_OUTCOMES.resolved.map((o) => o.label));
    await page.keyboard.press('5');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#overlay .dialog-problem').textContent())
      .toBe('选“其他”时请在备注中写明情况');
    await page.keyboard.press('1');
    expect(await chosen()).toEqual(['real_handled']);
    await shot(page, 'close-outcome-dialog-resolve');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await incident(id)).outcome).toBe('real_handled');
    await expect
      .poll(() => page.locator('#timeline li.tl-transition').last().locator('.outcome').textContent())
      .toBe('真实警情·已处置');
  });
});
