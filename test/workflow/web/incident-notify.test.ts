import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../../drivers/simulator/panel-simulator.js';
import { startTestService, type TestService } from '../../helpers/service.js';
import { type SmsGateway, type SmsMessage, startSmsGateway } from '../../helpers/sms-gateway.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from '../../web/console-helpers.js';

/**
 * The incident page's notify button and the calls on the timeline (issue 17), in headless Chromium,
 * against a real SMS gateway on loopback that refuses the first message (the notifier retries).
 */
describe('incident page: notify a contact, calls and notifications on the timeline (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;
  let gateway: SmsGateway;
  let sms: SmsMessage[] = [];

  beforeAll(async () => {
    gateway = await startSmsGateway({ refuseFirst: 1 });
    sms = gateway.sent;
    svc = await startTestService({
      yaml: `${CITY_YAML}
callLists:
  shop-1:
    - { name: 王店长, phone: "13800000001", role: manager }
    - { name: 李师傅, phone: "13800000002", role: keyholder }
notifiers:
  channels:
    - { id: gw, kind: sms, url: "${gateway.url}", timeoutMs: 5000 }
  rules: [{ on: [closed], roles: [owner] }]
  initialBackoffMs: 50
  maxBackoffMs: 200
`,
    });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await shop.connect();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    const password = await addUser(svc, 'op-notify', 'operator', 'city');
    await loginInPage(page, svc.httpUrl, 'op-notify', password);
  });
  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
    await gateway?.close();
  });

  it('a busy call and a notify to the keyholder: both on the timeline, the delivery shown as it goes', async () => {
    const eventId = await shop.send('panic', { zone: '1' });
    const id = (await shop.waitForAck(eventId, 'received')).incident!;
    await page.goto(`${svc.httpUrl}/#/incident/${id}`);
    const card = page.locator('#workflow-card');
    await card.waitFor();

    await card.locator('.wf-contact[data-contact="0"] button[data-result=busy]').click();
    const timeline = page.locator('#timeline');
    await expect
      .poll(() => timeline.locator('.tl-call').textContent())
      .toContain('呼叫 王店长（13800000001）：占线');

    await card.locator('.wf-contact[data-contact="1"] .wf-notify').click();
    // The gateway refuses the first attempt: the row says so until the retry is delivered.
    await expect
      .poll(async () => {
        await page.reload();
        await card.waitFor();
        return card.locator('.wf-contact[data-contact="1"] .wf-note').textContent();
      })
      .toContain('已送达');
    expect(await card.locator('.wf-contact[data-contact="1"] .wf-note').textContent()).toMatch(
      /通知 · 短信 · 已送达 · 第 2 次尝试 · 手动通知/,
    );
    expect(await timeline.locator('.tl-notify').textContent()).toContain('通知 李师傅（短信）：已送达');
    expect(sms).toEqual([
      expect.objectContaining({ to: '13800000002', text: expect.stringContaining(`事件编号 ${id}`) }),
    ]);
    await shot(page, 'wf-20-notify-timeline');

    await page.evaluate(() => localStorage.setItem('sharpeyes.lang', 'en'));
    await page.reload();
    await card.waitFor();
    expect(await timeline.locator('.tl-call').textContent()).toContain('Called 王店长 (13800000001): Busy');
    expect(await timeline.locator('.tl-notify').textContent()).toContain('Notified 李师傅 (SMS): delivered');
    expect(await card.locator('.wf-notify').first().textContent()).toBe('Notify');
    await shot(page, 'wf-21-notify-timeline-en');
  });
});
