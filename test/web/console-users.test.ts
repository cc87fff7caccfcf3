import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { addUser, CITY_YAML, HALL, launchChromium, loginInPage, shot } from './console-helpers.js';

/** The console city with the demo's id for the jewellery shop (鑫源金店), whose owner logs in as a site user. */
const DEMO_LIKE_YAML = CITY_YAML.replaceAll('shop-1', 'site-jewellery');

describe('the users page (用户管理) in headless Chromium', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    svc = await startTestService({ yaml: DEMO_LIKE_YAML });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('names every user’s scope: the centre, a station, and a site user’s site by its name', async () => {
    const password = await addUser(svc, 'admin-users', 'admin', 'city');
    await addUser(svc, 'duty-north', 'operator', 'north');
    await addUser(svc, 'shop', 'site', 'site-jewellery');
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-users', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    await page.locator('#admin-users tr[data-user="shop"]').waitFor();
    await shot(page, 'admin-users-scopes');
    const scope = (user: string) =>
      page.locator(`#admin-users tr[data-user="${user}"] td`).nth(2).textContent();
    expect(await scope('admin-users')).toBe('朔州市110指挥中心');
    expect(await scope('duty-north')).toBe('北城派出所');
    expect(await scope('shop')).toBe('鑫源金店');
    await context.close();
  });
});
