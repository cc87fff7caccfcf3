import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from '../web/console-helpers.js';

/** Records every CSP violation and every request URL of a page, from before its first script runs. */
async function watched(
  context: BrowserContext,
): Promise<{ page: Page; violations: () => Promise<string[]>; urls: string[] }> {
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('websocket', (ws) => urls.push(ws.url()));
  return {
    page,
    urls,
    violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
  };
}

describe('the console under its Content-Security-Policy, with no session token in any URL', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('every page of an admin loads without a CSP violation; the users page lists and acts on users', async () => {
    const password = await addUser(svc, 'admin-city', 'admin', 'city');
    await addUser(svc, 'duty-north', 'operator', 'north');
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const { page, violations, urls } = await watched(context);
    await loginInPage(page, svc.httpUrl, 'admin-city', password);
    const token = await page.evaluate(() => localStorage.getItem('sharpeyes.token'));
    expect(token).toBeTruthy();
    for (const view of ['queue', 'map', 'wall', 'investigate', 'reports', 'users']) {
      await page.goto(`${svc.httpUrl}/#/${view}`);
      await page.locator(`#view[data-view="${view}"]`).waitFor();
      await page.waitForLoadState('networkidle');
    }
    await page.locator('#admin-users tr[data-user="duty-north"]').waitFor();
    await shot(page, 'admin-users');
    expect(await page.locator('#nav a[data-nav="users"]').textContent()).toBe('用户管理');
    const row = page.locator('#admin-users tr[data-user="duty-north"]');
    expect(await row.locator('td').nth(3).textContent()).toBe('正常');
    expect(await violations()).toEqual([]);
    expect(urls.filter((u) => u.includes(token!))).toEqual([]);
    await context.close();
  });

  it("an admin disables a user from the page: that user's open console goes back to the login within seconds", async () => {
    const adminPw = await addUser(svc, 'admin-2', 'admin', 'city');
    const dutyPw = await addUser(svc, 'duty-south', 'operator', 'south');
    const adminCtx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const dutyCtx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const admin = await watched(adminCtx);
    const duty = await watched(dutyCtx);
    await loginInPage(duty.page, svc.httpUrl, 'duty-south', dutyPw);
    await duty.page.locator('#conn.ok').waitFor();
    await loginInPage(admin.page, svc.httpUrl, 'admin-2', adminPw);
    await admin.page.goto(`${svc.httpUrl}/#/users`);
    const row = admin.page.locator('#admin-users tr[data-user="duty-south"]');
    await row.locator('button[data-action="disable"]').click();
    await admin.page.locator('.dialog textarea.note').fill('调离岗位');
    await shot(admin.page, 'admin-users-confirm');
    await admin.page.locator('.dialog .primary').click();
    await row.locator('td.bad').waitFor();
    expect(await row.locator('td').nth(3).textContent()).toBe('已停用');
    // The other browser: its /ops socket got session:end, the page shows the login with a message.
    await duty.page.locator('body.logged-out').waitFor({ timeout: 5_000 });
    expect(await duty.page.locator('#login-error').textContent()).toBe('账号已被管理员停用，请联系管理员');
    await shot(duty.page, 'disabled-user-login');
    expect(
      (await svc.svc.need('audit').list({ action: 'user.disable', target: 'user:duty-south' }))[0],
    ).toMatchObject({
      actor: 'admin-2',
      detail: { reason: '调离岗位', sessionsEnded: 1 },
    });
    expect(await admin.violations()).toEqual([]);
    expect(await duty.violations()).toEqual([]);
    await adminCtx.close();
    await dutyCtx.close();
  });

  it('the standalone wall page runs under the CSP too', async () => {
    const password = await addUser(svc, 'op-wall', 'operator', 'city');
    const context = await browser.newContext({ viewport: HALL });
    const { page, violations } = await watched(context);
    await loginInPage(page, svc.httpUrl, 'op-wall', password);
    await page.goto(`${svc.httpUrl}/live/wall.html`);
    await page.locator('.live-wall-page').waitFor();
    expect(await violations()).toEqual([]);
    await shot(page, 'wall-standalone-csp');
    await context.close();
  });
});
