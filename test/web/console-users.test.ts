import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { districtYaml, homeOwner, seedUsers } from '../helpers/district.js';
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

  it('新建用户: an admin creates the jewellery shop’s owner through the form, who then logs in', async () => {
    const password = await addUser(svc, 'admin-users', 'admin', 'city');
    await addUser(svc, 'duty-north', 'operator', 'north');
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-users', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    await page.locator('#admin-users tr[data-user="duty-north"]').waitFor();
    await page.locator('#user-create').click({ timeout: 10_000 });
    const form = page.locator('#overlay #user-form');
    await form.waitFor();
    // A taken name (typed full-width, as a Chinese input method may), then confirm that differs:
    // each said in Chinese in the form, which stays open.
    await form.locator('input[name=username]').fill('ｄｕｔｙ-ＮＯＲＴＨ');
    await form.locator('input[name=displayName]').fill('王店主');
    await form.locator('select[name=role]').selectOption({ label: '单位用户' });
    // A site user's scope is a site, found by its name among the sites of the admin's area.
    await form.locator('input[name=site-filter]').fill('金店');
    expect(await form.locator('select[name=scope]').inputValue()).toBe('site-jewellery');
    await form.locator('input[name=new-password]').fill('jewel-owner-18');
    await form.locator('input[name=confirm-password]').fill('jewel-owner-81');
    const problem = page.locator('#overlay .dialog-problem');
    await page.locator('#overlay .dialog .primary').click();
    await expect.poll(() => problem.textContent()).toBe('两次输入的密码不一致');
    await form.locator('input[name=confirm-password]').fill('jewel-owner-18');
    await page.locator('#overlay .dialog .primary').click();
    await expect
      .poll(() => problem.textContent())
      .toBe('这个用户名已有人使用（不区分大小写和全角半角），请换一个');
    await form.locator('input[name=username]').fill('jewellery-owner');
    await shot(page, 'admin-users-create-form');
    // The form reads in Chinese, with names and no ids (the page behind it keeps usernames and titles).
    const formText = await page
      .locator('#overlay .dialog')
      .evaluate((el) =>
        [
          (el as HTMLElement).innerText,
          ...Array.from(el.querySelectorAll('option, optgroup'), (o) => (o as HTMLOptionElement).label),
          ...Array.from(el.querySelectorAll('[placeholder]'), (i) => i.getAttribute('placeholder') ?? ''),
        ].join('\n'),
      );
    expect(formText.replace(/\b(Enter|Esc)\b/g, '').match(/[A-Za-z]{3,}/g)).toBeNull();
    expect(formText).toContain('鑫源金店');
    await page.locator('#overlay .dialog .primary').click();
    const row = page.locator('#admin-users tr[data-user="jewellery-owner"]');
    await row.waitFor();
    expect(await page.locator('#overlay').isHidden()).toBe(true);
    expect(await row.locator('td').allTextContents()).toEqual([
      'jewellery-owner王店主',
      '单位用户',
      '鑫源金店',
      '正常',
      '0',
      '—',
      expect.stringContaining('编辑'),
    ]);
    await shot(page, 'admin-users-created');

    // The shop owner logs in with that password on their own computer and sees their shop.
    const owner = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const ownerPage = await owner.newPage();
    await loginInPage(ownerPage, svc.httpUrl, 'jewellery-owner', 'jewel-owner-18');
    await expect.poll(() => ownerPage.locator('#who').textContent()).toBe('王店主 · 单位用户 · 鑫源金店');
    await owner.close();
    await context.close();
  });

  it('编辑: an admin makes a desk operator a supervisor; the operator’s open console is signed out with why', async () => {
    const password = await addUser(svc, 'admin-users', 'admin', 'city');
    const dutyPassword = await addUser(svc, 'duty-south', 'operator', 'south');
    const duty = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const dutyPage = await duty.newPage();
    await loginInPage(dutyPage, svc.httpUrl, 'duty-south', dutyPassword);
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-users', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    const row = page.locator('#admin-users tr[data-user="duty-south"]');
    await row.locator('button[data-action=edit]').click({ timeout: 10_000 });
    const form = page.locator('#overlay #user-form');
    await form.waitFor();
    expect(await form.locator('select[name=scope]').inputValue()).toBe('south');
    await form.locator('input[name=displayName]').fill('赵值班长');
    await form.locator('select[name=role]').selectOption({ label: '值班长' });
    // The note that a new role signs the user out everywhere turns to a warning once the role changes.
    const note = form.locator('.user-form-note');
    expect(await note.textContent()).toBe('更改角色或辖区后，该用户会在所有设备上退出登录，需要重新登录');
    expect(await note.getAttribute('class')).toContain('warn');
    await page.locator('#overlay textarea').fill('升任南城值班长');
    await shot(page, 'admin-users-edit-form');
    await page.locator('#overlay .dialog .primary').click();
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('值班长');
    expect(await row.locator('td').first().textContent()).toBe('duty-south赵值班长');
    await expect
      .poll(() => dutyPage.locator('#login-error').textContent(), { timeout: 15_000 })
      .toBe('您的角色或辖区已被管理员更改，请重新登录');
    // The admin's own row offers an edit of the display name only.
    await page.locator('#admin-users tr[data-user="admin-users"] button[data-action=edit]').click();
    await form.waitFor();
    expect(await form.locator('select[name=role]').isDisabled()).toBe(true);
    expect(await form.locator('select[name=scope]').isDisabled()).toBe(true);
    expect(await form.locator('.user-form-note').textContent()).toBe(
      '不能更改自己的角色或辖区，请找另一位管理员',
    );
    await page.keyboard.press('Escape');
    await duty.close();
    await context.close();
  });

  it('编辑 of one’s own display name: the top bar reads the new name at once, without a reload', async () => {
    const password = await addUser(svc, 'admin-rename', 'admin', 'city');
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-rename', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    expect(await page.locator('#who').textContent()).toBe('admin-rename · 管理员 · 朔州市110指挥中心');
    await page.locator('#admin-users tr[data-user="admin-rename"] button[data-action=edit]').click();
    const form = page.locator('#overlay #user-form');
    await form.waitFor();
    await form.locator('input[name=displayName]').fill('钱主任');
    await page.locator('#overlay .dialog .primary').click();
    await expect
      .poll(() => page.locator('#admin-users tr[data-user="admin-rename"] td').first().textContent())
      .toBe('admin-rename钱主任');
    expect(await page.locator('#who').textContent()).toBe('钱主任 · 管理员 · 朔州市110指挥中心');
    await context.close();
  });

  it('offers a station admin only the nodes and sites of their station', async () => {
    const password = await addUser(svc, 'admin-north', 'admin', 'north');
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-north', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    await page.locator('#user-create').click({ timeout: 10_000 });
    const scope = page.locator('#overlay select[name=scope] option:not([value=""])');
    await scope.first().waitFor({ state: 'attached' });
    expect((await scope.allTextContents()).map((s) => s.trim())).toEqual([
      '北城派出所',
      '北城一网格',
      '北城二网格',
    ]);
    await page.locator('#overlay select[name=role]').selectOption({ label: '单位用户' });
    expect((await scope.allTextContents()).sort()).toEqual(['北城第一小学', '惠民大药房', '鑫源金店'].sort());
    await page.keyboard.press('Escape');
    await context.close();
  });
  it('同名账号: accounts that are one name but for case or width are marked, with which and what to do, in Chinese and English', async () => {
    const password = await addUser(svc, 'admin-twins', 'admin', 'city');
    await addUser(svc, 'Wang', 'operator', 'north', '王伟');
    // As they were stored before migration 116: the later twins keep no key and log in as they are.
    for (const [username, scope, displayName] of [
      ['wang', 'south', '王磊'],
      ['ｗａｎｇ', 'north', null],
    ] as const)
      await svc.svc
        .need('store')
        .k.insertInto('users')
        .values({
          username,
          username_key: null,
          password_hash: 'x',
          role: 'operator',
          scope,
          display_name: displayName,
          created_at: new Date().toISOString(),
          disabled: 0,
        })
        .execute();
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-twins', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    const row = (user: string) => page.locator(`#admin-users tr[data-user="${user}"]`);
    await row('ｗａｎｇ').waitFor();
    const marked = () =>
      page
        .locator('#admin-users tr[data-user]')
        .evaluateAll((trs) =>
          trs
            .filter((tr) => tr.querySelector('.chip.same-name'))
            .map((tr) => [
              (tr as HTMLElement).dataset['user'],
              tr.querySelector('.chip.same-name')?.textContent,
            ]),
        );
    expect(await marked()).toEqual([
      ['Wang', '同名账号'],
      ['wang', '同名账号'],
      ['ｗａｎｇ', '同名账号'],
    ]);
    const note = (user: string) => row(user).locator('.same-name-note').textContent();
    expect(await note('wang')).toBe(
      '与账号 Wang、ｗａｎｇ 只差大小写或全角半角，登录和日志中容易认错。建议另起新名：用新名字为此人新建账号，再停用本账号。',
    );
    expect(await note('Wang')).toBe(
      '与账号 wang、ｗａｎｇ 只差大小写或全角半角，登录和日志中容易认错。本账号保留此名，建议给 wang、ｗａｎｇ 另起新名。',
    );
    expect(await row('wang').locator('td').first().innerText()).toMatch(/^wang\s*同名账号\n王磊\n与账号/);
    const banner = page.locator('#admin-users .users-banner');
    expect(await banner.textContent()).toContain('有 3 个账号与其他账号同名（只差大小写或全角半角）');
    await shot(page, 'admin-users-same-name');
    // 只看同名账号: the three, wherever they are in a long list.
    await page.locator('#users-show-same-names').click();
    await expect
      .poll(() => page.locator('#admin-users tr[data-user]').evaluateAll((trs) => trs.length))
      .toBe(3);
    expect(await page.locator('#admin-users select[name=user-status]').inputValue()).toBe('samename');
    await shot(page, 'admin-users-same-name-only');
    await page.locator('#lang').click();
    await expect.poll(() => row('wang').locator('.chip.same-name').textContent()).toBe('Same name');
    expect(await note('wang')).toBe(
      'Same name as Wang, ｗａｎｇ but for case or width: easy to mistake at login and in the logs. A new name is advised: create this person an account under another name, then disable this one.',
    );
    expect(await banner.textContent()).toContain('3 accounts share a name with another');
    await shot(page, 'admin-users-same-name-en');
    await page.locator('#lang').click();
    await context.close();
  });
});

/** 300 homes of 幸福里小区 (北城) and 南湖花园 (南城), each owner a 单位用户; two users whose place is gone. */
describe('the users page of a district with 300 home owners, in headless Chromium', () => {
  const HOMES = 300;
  let svc: TestService;
  let browser: Browser;
  let password: string;

  beforeAll(async () => {
    svc = await startTestService({ yaml: districtYaml(CITY_YAML, HOMES) });
    browser = await launchChromium();
    password = await addUser(svc, 'admin-district', 'admin', 'city');
    await seedUsers(svc, [
      { username: 'duty-north', role: 'operator', scope: 'north', displayName: '赵警官' },
      ...Array.from({ length: HOMES }, (_, i) => ({ ...homeOwner(i + 1), disabled: i < 5 })),
      { username: 'ghost-home', role: 'site', scope: 'home-9999', displayName: '已拆迁住户' },
      { username: 'ghost-desk', role: 'operator', scope: 'east' },
    ]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('shows 50 a page with the count, finds an owner by name or by estate, filters, and lists the users whose place is gone', async () => {
    const context = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await context.newPage();
    await loginInPage(page, svc.httpUrl, 'admin-district', password);
    await page.goto(`${svc.httpUrl}/#/users`);
    const rows = page.locator('#admin-users tr[data-user]');
    const head = page.locator('#admin-users .users-head h3');
    const range = page.locator('#admin-users .users-toolbar .users-range');
    const next = page.locator('#admin-users .users-toolbar [data-page=next]');
    const usernames = () => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['user']));
    await rows.first().waitFor();
    const total = HOMES + 4;
    expect(await rows.count()).toBe(50);
    expect(await head.textContent()).toBe(`用户管理 · 共 ${total} 人`);
    expect(await range.textContent()).toBe(`第 1–50 人，共 ${total} 人`);
    const banner = page.locator('#admin-users .users-banner');
    expect(await banner.textContent()).toContain('有 2 个用户的单位或辖区已从配置中移除');
    await shot(page, 'admin-users-district');

    // The next page, then the last, whose 下一页 is off.
    const first = (await usernames())[0];
    await next.click();
    await expect.poll(() => range.textContent()).toBe(`第 51–100 人，共 ${total} 人`);
    expect((await usernames())[0]).not.toBe(first);
    for (const from of [101, 151, 201, 251]) {
      await next.click();
      await expect.poll(() => range.textContent()).toBe(`第 ${from}–${from + 49} 人，共 ${total} 人`);
    }
    await next.click();
    await expect.poll(() => range.textContent()).toBe(`第 301–${total} 人，共 ${total} 人`);
    expect(await next.isDisabled()).toBe(true);
    // The pager under the list says the same.
    expect(await page.locator('#admin-users .users-list .users-range').textContent()).toBe(
      `第 301–${total} 人，共 ${total} 人`,
    );

    // An owner by their Chinese name: the search starts over at the first page.
    const search = page.locator('#admin-users input[name=user-search]');
    await search.fill(homeOwner(123).displayName ?? '');
    await expect.poll(usernames).toEqual(['owner-0123']);
    expect(await head.textContent()).toBe('用户管理 · 找到 1 人');
    expect(await rows.first().locator('td').nth(2).textContent()).toMatch(/^幸福里小区/);
    // The owners of an estate by the homes' names, and the disabled ones among them.
    await search.fill('南湖花园');
    await expect.poll(() => head.textContent()).toBe('用户管理 · 找到 100 人');
    expect(await rows.count()).toBe(50);
    await search.fill('幸福里');
    await page.locator('#admin-users select[name=user-status]').selectOption({ label: '已停用' });
    await expect
      .poll(usernames)
      .toEqual(['owner-0001', 'owner-0002', 'owner-0003', 'owner-0004', 'owner-0005']);
    await page.locator('#admin-users select[name=user-role]').selectOption({ label: '接警员' });
    await expect
      .poll(() => page.locator('#admin-users td.empty').textContent())
      .toBe('没有符合条件的用户，请换个词或放宽筛选');
    await shot(page, 'admin-users-district-none');

    // The users whose site or node left the config: listed, and said so, for the admin to place them again.
    await search.fill('');
    await page.locator('#admin-users select[name=user-role]').selectOption('');
    await page.locator('#users-show-missing').click();
    await expect.poll(usernames).toEqual(['ghost-desk', 'ghost-home']);
    const scope = (user: string) =>
      page.locator(`#admin-users tr[data-user="${user}"] td`).nth(2).textContent();
    expect(await scope('ghost-home')).toBe('单位已移除（home-9999）');
    expect(await scope('ghost-desk')).toBe('辖区已移除（east）');
    await shot(page, 'admin-users-district-missing');
    await context.close();
  });
});
