import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ROOM } from '../../src/health/system-module.js';
import type { SystemStatus } from '../../src/health/system-watch.js';
import type { Storm } from '../../src/workflow/storm/storm-store.js';
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

/** The date of an instant as the desks in the city read it: "2026/12/8". */
const day = (iso: string) =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).format(new Date(iso));

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
    expect(await textProblems(supervisor, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(supervisor, 'system-alert-storm-till-tomorrow');
  });
});
