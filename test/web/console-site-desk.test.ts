import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  launchChromium,
  loginInPage,
  shot,
  textProblems,
} from './console-helpers.js';

/**
 * The site desk (#/sitedesk/<site>, web/js/site-desk.js) with one panel of the shop on test: the
 * panel is named as the rest of the console names it (报警主机), never by its id.
 */
describe('the site desk names panels, not their ids (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;

  beforeAll(async () => {
    // Opening hours, so that the desk's form for a temporary change is on the page too.
    svc = await startTestService({
      yaml: `${CITY_YAML}
schedules:
  timezone: Asia/Shanghai
  sites:
    shop-1: { hours: { mon: "09:00-21:00", tue: "09:00-21:00" } }
`,
    });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await shop.connect();
    const sup = await svc.login('sup-site-desk', 'supervisor', 'city');
    const test = await api(`${svc.httpUrl}/api/sites/shop-1/test-mode`, sup, {
      method: 'POST',
      body: JSON.stringify({ minutes: 30, reason: '更换探测器', panel: 'panel-1' }),
    });
    expect(test.status).toBe(201);
    // The installer's signal, taken by test mode.
    await shop.waitForAck(await shop.send('intrusion', { zone: '1' }), 'received');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    await loginInPage(
      page,
      svc.httpUrl,
      'op-site-desk',
      await addUser(svc, 'op-site-desk', 'operator', 'city'),
    );
  }, 60_000);
  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it('the panel on test, its events and the choice of what to test say 报警主机, not panel-1', async () => {
    await page.goto(`${svc.httpUrl}/#/sitedesk/shop-1`);
    const card = page.locator('#wf-test-card');
    await expect.poll(() => card.locator('#wf-test-events tr').count()).toBe(1);
    expect(await card.locator('#wf-test-active li').innerText()).toMatch(/^测试 报警主机 · 测试至 /);
    expect((await card.locator('#wf-test-events tr td').allInnerTexts())[2]).toBe('报警主机');
    expect(await card.locator('select[name=panel] option').allInnerTexts()).toEqual(['整个单位', '报警主机']);
    expect(await page.locator('#wf-test-form .wf-field > span').allInnerTexts()).toEqual([
      '测试范围',
      '时长（分钟）',
      '事由',
    ]);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(page, 'site-desk-panel-on-test');

    await page.locator('#lang').click();
    await expect
      .poll(() => card.locator('#wf-test-active li').innerText())
      .toMatch(/^TEST Alarm panel · on test until /);
    expect((await card.locator('#wf-test-events tr td').allInnerTexts())[2]).toBe('Alarm panel');
    expect(await textProblems(page, { chinese: false })).toEqual({ rawIds: [], english: [] });
    // The forms' labels are labels, not the words an error message puts a field in ('the reason').
    expect(await page.locator('#wf-test-form .wf-field > span').allInnerTexts()).toEqual([
      'On test',
      'Minutes',
      'Reason',
    ]);
    const formLabels = await page.locator('.site-desk form .wf-field > span').allInnerTexts();
    expect(formLabels.filter((l) => !/^[A-Z]/.test(l))).toEqual([]);
    expect(formLabels.filter((l) => l === 'Reason')).toHaveLength(2);
    expect(formLabels).toHaveLength(9);
    await page.locator('#lang').click();
  });
});
