import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  shopWithPanic,
  shot,
  textProblems,
} from './console-helpers.js';

/**
 * The console names the people who worked an alarm as officers name them: "北城值班 王磊 处理中",
 * "新报警 → 已确认 · 北城值班 王磊", with the login ("登录名 op-wang") on hover; a colleague without a
 * display name is shown by their login; the shop owner reads no one's name or login.
 */
describe('who worked an alarm, by name (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let inc: Incident;
  let desk: Page;
  const NAME = '北城值班 王磊';
  const HOVER = '登录名 op-wang';

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
    shop = await shopWithPanic(svc);
    await addUser(svc, 'op-wang', 'operator', 'north', NAME);
    const wang = await svc.login('op-wang', 'operator', 'north');
    const nameless = await svc.login('op-noname', 'operator', 'city');
    const list = await api<{ incidents: Incident[] }>(`${svc.httpUrl}/api/incidents?site=shop-1`, wang);
    const id = list.body.incidents[0]!.id;
    const post = (path: string, token: string, body: unknown = {}) =>
      api<Incident>(`${svc.httpUrl}/api/incidents/${id}/${path}`, token, {
        method: 'POST',
        body: JSON.stringify(body),
      });
    // A colleague without a name writes a note first; then the operator acknowledges (and so holds
    // it), dispatches, calls the shop and marks the plan's steps.
    await post('notes', nameless, { text: '店主电话无人接听' });
    await post('ack', wang);
    await post('dispatch', wang, { unit: 'car-n1' });
    await post('calls', wang, { contact: 0, result: 'reached' });
    inc = (await post('steps/forward-station', wang, { outcome: 'forwarded' })).body;
    await api(`${svc.httpUrl}/api/console/handover-notes`, wang, {
      method: 'POST',
      body: JSON.stringify({ text: '金店报警已派警，待回告', shift: '2026-1-1-day' }),
    });
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    desk = await ctx.newPage();
    await loginInPage(desk, svc.httpUrl, 'sup-city', await addUser(svc, 'sup-city', 'supervisor', 'city'));
  });

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it('the queue row and its side panel say who holds it by name', async () => {
    await desk.goto(`${svc.httpUrl}/#/queue`);
    const row = desk.locator(`#queue-list .row[data-id="${inc.id}"]`);
    await row.waitFor();
    const holder = row.locator('.holder');
    await expect.poll(() => holder.textContent()).toBe(`${NAME} 处理中`);
    expect(await holder.getAttribute('title')).toBe(HOVER);
    await row.click();
    const side = desk.locator('#queue-side .holder');
    await expect.poll(() => side.textContent()).toBe(`${NAME} 处理中`);
    await shot(desk, '60-queue-held-by-name-1920');
    expect(await textProblems(desk, { chinese: true })).toEqual({ rawIds: [], english: [] });
  });

  it('the incident page names the holder, the timeline, the calls and the plan steps', async () => {
    await desk.goto(`${svc.httpUrl}/#/incident/${inc.id}`);
    const head = desk.locator('.incident-head .holder');
    await expect.poll(() => head.textContent()).toBe(`${NAME} 处理中`);
    expect(await head.getAttribute('title')).toBe(HOVER);
    expect(await desk.locator('#wf-owner span').first().textContent()).toBe(`由 ${NAME} 处理中`);

    const timeline = (await desk.locator('#timeline li').allTextContents()).join('\n');
    expect(timeline).toMatch(/新报警 → 已确认 · 北城值班 王磊/);
    expect(timeline).toMatch(/派警 北城巡逻1车 · 北城值班 王磊/);
    // Without a display name the colleague is shown by their login.
    expect(timeline).toMatch(/店主电话无人接听 · op-noname/);
    expect(timeline).not.toMatch(/op-wang/);
    const bys = desk.locator('#timeline .by[title]');
    expect(new Set(await bys.evaluateAll((els) => els.map((e) => e.getAttribute('title'))))).toEqual(
      new Set([HOVER]),
    );

    const step = desk.locator('#wf-plan li[data-step="forward-station"] .wf-outcome .person');
    expect(await step.textContent()).toBe(NAME);
    expect(await step.getAttribute('title')).toBe(HOVER);
    expect(await desk.locator('#wf-calls .wf-call-log .person').first().textContent()).toBe(NAME);
    await shot(desk, '61-incident-worked-by-name-1920');
    expect(await textProblems(desk, { chinese: true })).toEqual({ rawIds: [], english: [] });
  });

  it('the handover page names who holds each alarm and who wrote each note', async () => {
    await desk.goto(`${svc.httpUrl}/#/handover`);
    const cell = desk.locator(`#ho-open tr[data-id="${inc.id}"] .person`);
    await expect.poll(() => cell.textContent()).toBe(NAME);
    expect(await cell.getAttribute('title')).toBe(HOVER);
    const author = desk.locator('#ho-notes .person').first();
    expect(await author.textContent()).toBe(NAME);
    expect(await author.getAttribute('title')).toBe(HOVER);
  });

  it('the site desk names who put the site on test', async () => {
    const wang = await svc.login('op-wang', 'operator', 'north');
    const on = await api(`${svc.httpUrl}/api/sites/shop-1/test-mode`, wang, {
      method: 'POST',
      body: JSON.stringify({ minutes: 30, reason: '维保测试' }),
    });
    expect(on.status).toBe(201);
    await desk.goto(`${svc.httpUrl}/#/sitedesk/shop-1`);
    const by = desk.locator('#wf-test-active .person');
    await expect.poll(() => by.textContent()).toBe(NAME);
    expect(await by.getAttribute('title')).toBe(HOVER);
  });

  it('the shop owner reads neither the name nor the login of the police’s people', async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, locale: 'zh-CN' });
    const owner = await ctx.newPage();
    await loginInPage(owner, svc.httpUrl, 'owner-shop', await addUser(svc, 'owner-shop', 'site', 'shop-1'));
    await owner.locator('#police-line b').waitFor();
    const text = await owner.evaluate(() => document.body.innerText);
    expect(text).not.toContain('王磊');
    expect(text).not.toContain('op-wang');
    const token = await owner.evaluate(() => localStorage.getItem('sharpeyes.token'));
    const theirs = await api<Incident>(`${svc.httpUrl}/api/incidents/${inc.id}`, token!);
    expect(theirs.body.people).toBeUndefined();
    await ctx.close();
  });
});
