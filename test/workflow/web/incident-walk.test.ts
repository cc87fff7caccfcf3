import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../../src/core/incident-types.js';
import type { WorkflowFields } from '../../../src/workflow/workflow-view.js';
import { api, startTestService, type TestService } from '../../helpers/service.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from '../../web/console-helpers.js';

type Inc = Incident & WorkflowFields;

/** One panic walked through its action plan and call list on the incident page, in headless Chromium. */
describe('incident page: action plan and call list (Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let page: Page;
  let shop: PanelSimulator;
  let token: string;

  beforeAll(async () => {
    svc = await startTestService({
      yaml: `${CITY_YAML}
callLists:
  shop-1:
    - { name: 王店长, phone: "13800000001", role: manager }
    - { name: 李师傅, phone: "13800000002", role: keyholder }
`,
    });
    shop = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-1', secret: 'secret-panel-1' });
    await shop.connect();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    const password = await addUser(svc, 'op-walk', 'operator', 'city');
    await loginInPage(page, svc.httpUrl, 'op-walk', password);
    token = await svc.login('op-walk', 'operator', 'city');
  });
  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
  });

  it('takes the panic, calls down the list, forwards it, and then it can be resolved', async () => {
    const eventId = await shop.send('panic', { zone: '1' });
    const ack = await shop.waitForAck(eventId, 'received');
    const id = ack.incident!;
    await page.goto(`${svc.httpUrl}/#/incident/${id}`);
    const card = page.locator('#workflow-card');
    await card.waitFor();
    expect(await card.locator('.wf-step').count()).toBe(5);
    await shot(page, 'wf-01-plan');

    await card.locator('#wf-take').click();
    await expect.poll(() => card.locator('#wf-owner').textContent()).toContain('op-walk');

    expect(
      (await api(`${svc.httpUrl}/api/incidents/${id}/ack`, token, { method: 'POST', body: '{}' })).status,
    ).toBe(200);
    // Resolving before the call-back and the forward is refused.
    const refused = await api<{ error: { code: string } }>(
      `${svc.httpUrl}/api/incidents/${id}/resolve`,
      token,
      {
        method: 'POST',
        body: '{}',
      },
    );
    expect(refused.body.error.code).toBe('steps_incomplete');

    // The video shows nothing; the manager's line is busy (a panic not answered: confirmed and forwarded
    // to the station at once); the keyholder answers.
    await card.locator('.wf-step[data-step="review-video"] button[data-outcome=nothing_seen]').click();
    await expect
      .poll(() => card.locator('.wf-step[data-step="review-video"] .wf-outcome').textContent())
      .toContain('未见异常');
    await card.locator('.wf-contact[data-contact="0"] button[data-result=busy]').click();
    await expect.poll(() => card.locator('.wf-forwarded').textContent()).toMatch(/已转报：\S+/);
    expect(await card.locator('.wf-confirmed').textContent()).toContain('panic-callback');
    expect(await card.locator('.wf-step[data-step="forward-station"] .wf-outcome').textContent()).toContain(
      '已转报',
    );
    await card.locator('.wf-contact[data-contact="1"] button[data-result=reached]').click();
    await expect
      .poll(() => card.locator('.wf-step[data-step="call-site"] .wf-outcome').textContent())
      .toContain('已接通');
    expect(await card.locator('.wf-contact[data-contact="0"] .wf-call-log li').count()).toBe(1);
    await shot(page, 'wf-02-walked');

    const resolved = await api<Inc>(`${svc.httpUrl}/api/incidents/${id}/resolve`, token, {
      method: 'POST',
      body: '{}',
    });
    expect(resolved.body.state).toBe('resolved');
    expect(resolved.body.calls.map((c) => [c.name, c.result])).toEqual([
      ['王店长', 'busy'],
      ['李师傅', 'reached'],
    ]);
  });

  it('two operators click the same new alarm at once: the one a moment late is told who took it, and can take it over', async () => {
    const eventId = await shop.send('panic', { zone: '1' });
    const id = (await shop.waitForAck(eventId, 'received')).incident!;
    await page.goto(`${svc.httpUrl}/#/incident/${id}`);
    const card = page.locator('#workflow-card');
    await card.locator('#wf-take').waitFor();
    expect(await card.locator('#wf-take').innerText()).toBe('接手');
    // This desk's click is on its way when the other operator's arrives first.
    const rival = await svc.login('op-rival', 'operator', 'city');
    await page.route('**/take', async (route) => {
      const first = await api(`${svc.httpUrl}/api/incidents/${id}/take`, rival, {
        method: 'POST',
        body: '{}',
      });
      expect(first.status).toBe(200);
      await route.continue();
    });
    await card.locator('#wf-take').click();
    await expect
      .poll(() => page.locator('#toasts .toast-error').allInnerTexts(), { timeout: 5_000 })
      .toContainEqual('该警情已由 op-rival 接手处理；如需由您处理，请点“接管”');
    await page.unroute('**/take');
    // The page shows the holder and offers the takeover.
    await expect.poll(() => card.locator('#wf-owner').textContent()).toContain('op-rival');
    await expect.poll(() => card.locator('#wf-take').innerText()).toBe('接管');
    await shot(page, 'wf-03-taken-by-other');
    await card.locator('#wf-take').click();
    await expect.poll(() => card.locator('#wf-owner').textContent()).toContain('op-walk');
  });
});
