import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ROOM } from '../../src/health/system-module.js';
import type { SystemStatus } from '../../src/health/system-watch.js';
import type { Storm } from '../../src/workflow/storm/storm-store.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  cityDay,
  cityOnDay,
  HALL,
  launchChromium,
  loginInPage,
  shot,
  textProblems,
} from './console-helpers.js';

const day = cityDay;

/**
 * The storm line of the top bar's trouble list (web/js/system-alert.js): a storm that another
 * supervisor turned on for a day ends tomorrow, and says so.
 */
describe('the top bar’s storm notice (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let supervisor: Page;

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    browser = await launchChromium();
    supervisor = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
    await loginInPage(
      supervisor,
      svc.httpUrl,
      'sup-storm',
      await addUser(svc, 'sup-storm', 'supervisor', 'city', '赵值班长'),
    );
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('a storm that ends on another day says the date, not a time that reads as already past', async () => {
    // The night shift's supervisor demoted the communication troubles for 24 hours.
    const other = await svc.login('sup-night', 'supervisor', 'city');
    const storm = await api<Storm>(`${svc.httpUrl}/api/storms`, other, {
      method: 'POST',
      body: JSON.stringify({
        node: 'city',
        categories: ['trouble'],
        action: 'demote',
        minutes: 1440,
        reason: '运营商线路割接',
      }),
    });
    expect(storm.status).toBe(201);
    // A node of the city says panels are lost together (as the Redis adapter brings its word).
    const since = new Date(Date.now() - 60_000).toISOString();
    const status: SystemStatus = {
      node: 'node-x',
      level: 'bad',
      at: new Date().toISOString(),
      troubles: [
        {
          kind: 'panels',
          level: 'bad',
          since,
          figures: { lost: 40, of: 300, lostAll: 42, firstAt: Date.parse(since), spanSeconds: 30 },
          where: { id: 'north', name: '北城派出所' },
        },
      ],
    };
    svc.svc.need('ops').to(SYSTEM_ROOM).emit('system:status', status);
    const badge = supervisor.locator('#sys-alert');
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    await badge.click();
    const on = supervisor.locator('#sys-alert-panel li[data-kind="panels"] .sys-alert-storm-on');
    await on.waitFor({ timeout: 5_000 });
    expect(await on.innerText()).toMatch(
      new RegExp(
        `^风暴模式已开启：通讯故障工单降为 P4，至 ${day(storm.body.endsAt)} \\d\\d:\\d\\d:\\d\\d（sup-night）$`,
      ),
    );
    // A login without a name is one word: "sup-" and "night" on two lines read as two people.
    const who = on.locator('.person[data-user="sup-night"]');
    expect(await who.count()).toBe(1);
    expect(await who.evaluate((el) => el.getClientRects().length)).toBe(1);
    expect(await textProblems(supervisor, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(supervisor, 'system-alert-storm-till-tomorrow');
  });

  it('a trouble that began yesterday, and taken in charge yesterday, says the date; the storm names who turned it on by name', async () => {
    await addUser(svc, 'sup-long-night', 'supervisor', 'city', '钱夜班长');
    const other = await svc.login('sup-long-night', 'supervisor', 'city');
    const storm = await api<Storm>(`${svc.httpUrl}/api/storms`, other, {
      method: 'POST',
      body: JSON.stringify({
        node: 'city',
        categories: ['video_loss'],
        action: 'demote',
        minutes: 60,
        reason: '交换机故障',
      }),
    });
    expect(storm.status).toBe(201);
    const since = new Date(Date.now() - 30 * 3600_000).toISOString();
    const ackAt = new Date(Date.now() - 26 * 3600_000).toISOString();
    const status: SystemStatus = {
      node: 'node-y',
      level: 'bad',
      at: new Date().toISOString(),
      troubles: [
        {
          kind: 'cameras',
          level: 'bad',
          since,
          figures: { lost: 120, of: 900, lostAll: 124, firstAt: Date.parse(since), spanSeconds: 40 },
          ack: { by: 'sup-long-night', byName: '钱夜班长', at: ackAt },
        },
      ],
    };
    svc.svc.need('ops').to(SYSTEM_ROOM).emit('system:status', status);
    const badge = supervisor.locator('#sys-alert');
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    const item = supervisor.locator('#sys-alert-panel li[data-kind="cameras"]');
    if (!(await supervisor.locator('#sys-alert-panel').isVisible())) await badge.click();
    await item.waitFor({ timeout: 5_000 });
    const time = '\\d\\d:\\d\\d:\\d\\d';
    expect(await item.locator('.sys-alert-since').innerText()).toMatch(
      new RegExp(`^自 ${day(since)} ${time} 起$`),
    );
    expect(await item.locator('.sys-alert-acked-by').innerText()).toMatch(
      new RegExp(`^钱夜班长 已负责处理（${day(ackAt)} ${time}）$`),
    );
    const on = item.locator('.sys-alert-storm-on');
    await on.waitFor({ timeout: 5_000 });
    expect(await on.innerText()).toMatch(
      new RegExp(
        `^风暴模式已开启：视频丢失工单降为 P4，至 ${cityOnDay(storm.body.endsAt)}${time}（钱夜班长）$`,
      ),
    );
    // The login stays on hover for the record.
    expect(await on.locator('.person').getAttribute('title')).toBe('登录名 sup-long-night');
    expect(await textProblems(supervisor, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(supervisor, 'system-alert-since-yesterday');
  });
});
