import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { SYSTEM_ROOM } from '../../src/health/system-module.js';
import type { SystemPeers } from '../../src/health/system-peers.js';
import type { SystemStatus, SystemTrouble } from '../../src/health/system-watch.js';
import type { StreamHub } from '../../streams/upstream-hub.js';
import { api, reportsAway, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  cityOnDay,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  overflowProblems,
  shot,
  textProblems,
} from './console-helpers.js';

const HHMMSS = /^自 \d\d:\d\d:\d\d 起$/;

/**
 * The list's one sentence on what the troubles do to alarms: `sentence` for the trouble under test,
 * or, when the machine running the suite made this node's alarm path slow meanwhile (a real `wait`
 * trouble listed beside it, which outranks a follow-up or a camera loss), that one's.
 */
async function effectFor(panel: Locator, sentence: string): Promise<string> {
  return (await panel.locator('li[data-kind="wait"]').count()) > 0
    ? '报警照常入库和推送，只是变慢。'
    : sentence;
}

describe('the receiver’s own troubles in every desk’s top bar (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let operator: Page;
  let supervisor: Page;
  let siteUser: Page;
  let bank: PanelSimulator;
  beforeAll(async () => {
    // Two of the city's three panels lost together are a red trouble (a city's rule is 10 and 5 %).
    svc = await startTestService({
      yaml: `${CITY_YAML}\nstorage: { systemWatchSeconds: 1, panelsLostTogether: { panels: 2, share: 0.5, badShare: 0.6 } }\n`,
    });
    bank = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await bank.connect();
    browser = await launchChromium();
    const page = async (viewport: typeof HALL, user: string, role: string, scope: string) => {
      const p = await (await browser.newContext({ viewport, locale: 'zh-CN' })).newPage();
      await loginInPage(p, svc.httpUrl, user, await addUser(svc, user, role, scope));
      return p;
    };
    operator = await page(LAPTOP, 'alert-op', 'operator', 'city');
    supervisor = await page(HALL, 'alert-sup', 'supervisor', 'city');
    siteUser = await page(LAPTOP, 'alert-shop', 'site', 'shop-1');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await bank?.close();
    await svc?.close();
  });

  it('all well: no badge on any desk', async () => {
    // Each desk was told the state on connecting; give a check or two to pass.
    await operator.waitForTimeout(2500);
    expect(await siteUser.locator('#sys-alert').isHidden()).toBe(true);
    for (const p of [operator, supervisor]) {
      const badge = p.locator('#sys-alert');
      if (await badge.isHidden()) continue;
      // Shown only for a real slow alarm path of this node (the machine running the suite loaded):
      // nothing else is wrong.
      await badge.click();
      const panel = p.locator('#sys-alert-panel');
      await panel.waitFor();
      expect(
        await panel.locator('li[data-kind]').evaluateAll((li) => li.map((x) => x.getAttribute('data-kind'))),
      ).toEqual(['wait']);
      await p.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
    }
  });

  it('a follow-up that fails: every desk’s bar turns red at once with a toast; the list says what and since when; the operator is told whom to call, the supervisor where to look; a site’s user is told nothing; it clears when it recovers', async () => {
    const restoreReports = reportsAway(svc);
    try {
      await bank.send('panic');
      const badge = operator.locator('#sys-alert');
      await badge.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await badge.getAttribute('data-level')).toBe('bad');
      expect(await badge.innerText()).toBe('⚠ 系统异常');
      // A chime once (its own sound, not an alarm's beeps), and the toast, once, in words.
      await expect.poll(() => operator.locator('body').getAttribute('data-chimes')).toBe('1');
      await expect
        .poll(() => operator.locator('#toasts .toast-error').allInnerTexts(), { timeout: 5_000 })
        .toContainEqual(expect.stringMatching(/^系统异常：统计报表失败，正在自动重试$/));
      // The panic itself reached the queue as ever.
      await operator
        .locator('#queue-list .row[data-site="bank-2"][data-kind=alarm]')
        .first()
        .waitFor({ timeout: 10_000 });

      await badge.click();
      const panel = operator.locator('#sys-alert-panel');
      await panel.waitFor();
      const item = panel.locator('li[data-sink="reports"]');
      expect(await item.getAttribute('data-level')).toBe('bad');
      expect(await item.locator('.sys-alert-text').innerText()).toBe('统计报表失败，正在自动重试');
      expect(await item.locator('.sys-alert-since').innerText()).toMatch(HHMMSS);
      expect(await panel.innerText()).toContain('请通知值班工程师处理。');
      // A follow-up failing leaves the alarms themselves as ever, and the desk says so.
      expect(await panel.locator('.sys-alert-effect').innerText()).toBe(
        await effectFor(panel, '报警本身照常入库和推送，不受影响。'),
      );
      expect(await panel.locator('a[href="#/system"]').count()).toBe(0);
      await shot(operator, 'system-alert-operator');
      expect(await overflowProblems(operator)).toEqual([]);
      expect(await textProblems(operator, { chinese: true })).toEqual({ rawIds: [], english: [] });
      await operator.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });

      // The supervisor: the same, and the way to 系统状态, where the same sink is red.
      const supBadge = supervisor.locator('#sys-alert');
      await supBadge.waitFor({ state: 'visible', timeout: 10_000 });
      await supBadge.click();
      await supervisor.locator('#sys-alert-panel a[href="#/system"]').click();
      await expect
        .poll(() => supervisor.locator('#sys-sinks tr[data-sink="reports"]').getAttribute('data-level'), {
          timeout: 15_000,
        })
        .toBe('bad');
      expect(await supervisor.locator('#sys-alert-panel').count()).toBe(0);

      // In English.
      await supervisor.locator('#lang').click();
      await expect.poll(() => supBadge.innerText()).toBe('⚠ System fault');
      await supBadge.click();
      expect(
        await supervisor.locator('#sys-alert-panel li[data-sink="reports"] .sys-alert-text').innerText(),
      ).toBe('Reports failing, retried by itself');
      // Already on 系统状态: no link to it.
      expect(await supervisor.locator('#sys-alert-panel a[href="#/system"]').count()).toBe(0);
      await shot(supervisor, 'system-alert-supervisor-en');
      // A laptop's bar, in English, with a supervisor's eight pages: the badge still fits.
      await supervisor.setViewportSize(LAPTOP);
      expect(await overflowProblems(supervisor)).toEqual([]);
      await shot(supervisor, 'system-alert-supervisor-en-laptop');
      await supervisor.setViewportSize(HALL);
      await supervisor.keyboard.press('Escape');
      await supervisor.locator('#lang').click();

      // The supervisor takes charge (from the queue, where the way to 系统状态 is offered too).
      await supervisor.locator('#nav a[data-nav="queue"]').click();
      await supBadge.click();
      const supItem = supervisor.locator('#sys-alert-panel li[data-sink="reports"]');
      await shot(supervisor, 'system-alert-supervisor-take-charge');
      await supItem.locator('button.sys-alert-ack').click();
      await expect
        .poll(() => supItem.locator('.sys-alert-acked-by').innerText(), { timeout: 5_000 })
        .toMatch(/^alert-sup 已负责处理（\d\d:\d\d:\d\d）$/);
      expect(await supItem.locator('button.sys-alert-ack').count()).toBe(0);
      await supervisor.keyboard.press('Escape');
      // 系统状态's banner says who took charge of what.
      await supervisor.locator('#nav a[data-nav="system"]').click();
      await expect
        .poll(() => supervisor.locator('#sys-banner .sys-banner-ack').allInnerTexts(), { timeout: 10_000 })
        .toEqual([
          expect.stringMatching(/^alert-sup 已负责处理（\d\d:\d\d:\d\d）：统计报表失败，正在自动重试$/),
        ]);
      await shot(supervisor, 'system-banner-taken-in-charge');
      await supervisor.locator('#nav a[data-nav="queue"]').click();
      // Every desk is told: the operator's bar stops shouting, and the operator is told not to call.
      await expect.poll(() => badge.getAttribute('data-acked'), { timeout: 10_000 }).toBe('true');
      expect(await badge.getAttribute('data-level')).toBe('bad');
      await badge.click();
      expect(await panel.locator('li[data-sink="reports"] .sys-alert-acked-by').innerText()).toMatch(
        /^alert-sup 已负责处理（\d\d:\d\d:\d\d）$/,
      );
      expect(await panel.innerText()).toContain('已有人负责处理，无需再通知值班工程师。');
      expect(await panel.innerText()).not.toContain('请通知值班工程师处理。');
      // An operator cannot take charge.
      expect(await panel.locator('button.sys-alert-ack').count()).toBe(0);
      await shot(operator, 'system-alert-operator-acked');
      expect(await overflowProblems(operator)).toEqual([]);
      expect(await textProblems(operator, { chinese: true })).toEqual({ rawIds: [], english: [] });
      await operator.keyboard.press('Escape');

      // Still one chime: the minute's repeats and the acknowledgement do not sound again.
      expect(await operator.locator('body').getAttribute('data-chimes')).toBe('1');
      // The shop owner's page hears nothing of the centre's own troubles.
      expect(await siteUser.locator('#sys-alert').isHidden()).toBe(true);
      expect(await siteUser.locator('#toasts .toast-error').count()).toBe(0);
      expect(await siteUser.locator('body').getAttribute('data-chimes')).toBeNull();

      restoreReports();
      // Retried with backoff; the next check after it goes through clears every desk.
      await badge.waitFor({ state: 'hidden', timeout: 40_000 });
      await supBadge.waitFor({ state: 'hidden', timeout: 10_000 });
    } finally {
      restoreReports();
    }
  }, 120_000);

  it('panels lost together: one red trouble in words on every desk; the operator told alarms are hit, the supervisor demotes the communication tickets in one click; it clears when they return', async () => {
    const sims = ['panel-1', 'panel-3'].map(
      (id) => new PanelSimulator({ url: svc.mqttUrl, id, secret: `secret-${id}` }),
    );
    for (const s of sims) await s.connect();
    await operator.waitForTimeout(1500);
    // The shop's and the school's line drop without a word (their wills).
    for (const s of sims) await s.close(true);
    const badge = operator.locator('#sys-alert');
    await badge.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await badge.getAttribute('data-level')).toBe('bad');
    const sentence =
      /^2 台报警主机在 \d+ 秒内相继失联（共 3 台），集中在北城一网格：多半是该片区的网络或运营商线路故障，不是各单位各自出事$/;
    await expect
      .poll(() => operator.locator('#toasts .toast-error').allInnerTexts(), { timeout: 5_000 })
      .toContainEqual(expect.stringMatching(/^系统异常：2 台报警主机在 \d+ 秒内相继失联/));
    await badge.click();
    const panel = operator.locator('#sys-alert-panel');
    const item = panel.locator('li[data-kind="panels"]');
    expect(await item.locator('.sys-alert-text').innerText()).toMatch(sentence);
    // Not "alarms are unaffected": these sites' alarms cannot reach the centre.
    expect(await panel.locator('.sys-alert-effect').innerText()).toBe(
      '报警受到影响：恢复之前请留意电话报警，必要时手工登记。',
    );
    expect(await item.locator('button').count()).toBe(0);
    await shot(operator, 'system-alert-panels-lost-operator');
    expect(await textProblems(operator, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await operator.keyboard.press('Escape');

    // The supervisor demotes the sites' communication tickets to P4 for an hour (storm mode).
    await supervisor.locator('#sys-alert').waitFor({ state: 'visible', timeout: 10_000 });
    await supervisor.locator('#sys-alert').click();
    const supItem = supervisor.locator('#sys-alert-panel li[data-kind="panels"]');
    const storm = supItem.locator('button.sys-alert-storm');
    await storm.waitFor({ timeout: 5_000 });
    expect(await storm.innerText()).toBe('通讯故障工单降为 P4（60 分钟）');
    await shot(supervisor, 'system-alert-panels-lost-supervisor');
    // In English, on a laptop.
    await supervisor.locator('#lang').click();
    await supervisor.setViewportSize(LAPTOP);
    await expect
      .poll(() => supItem.locator('.sys-alert-text').innerText())
      .toMatch(
        /^2 of 3 panels lost contact within \d+ s, most of them in 北城一网格: most likely the network or a carrier there, not the sites themselves$/,
      );
    expect(await storm.innerText()).toBe('Communication troubles to P4 (60 min)');
    expect(await supervisor.locator('#sys-alert-panel .sys-alert-effect').innerText()).toBe(
      'Alarms are affected: until it recovers, watch for alarms by phone and log them by hand if need be.',
    );
    expect(await overflowProblems(supervisor)).toEqual([]);
    await shot(supervisor, 'system-alert-panels-lost-supervisor-en-laptop');
    await supervisor.setViewportSize(HALL);
    await supervisor.locator('#lang').click();
    await expect.poll(() => storm.innerText()).toBe('通讯故障工单降为 P4（60 分钟）');
    await storm.click();
    const on = supItem.locator('.sys-alert-storm-on');
    await on.waitFor({ timeout: 5_000 });
    const storms = await svc.svc.need('store').k.selectFrom('storms').selectAll().execute();
    expect(storms).toHaveLength(1);
    // An hour from 23:00 on ends tomorrow, and the line says so.
    expect(await on.innerText()).toMatch(
      new RegExp(
        `^风暴模式已开启：通讯故障工单降为 P4，至 ${cityOnDay(storms[0]!.ends_at)}\\d\\d:\\d\\d:\\d\\d（alert-sup）$`,
      ),
    );
    expect(await storm.count()).toBe(0);
    expect(storms[0]).toMatchObject({
      node: 'city',
      action: 'demote',
      by_user: 'alert-sup',
      reason: '大面积通讯中断：2 台报警主机相继失联',
    });
    expect(JSON.parse(storms[0]!.categories)).toEqual(['trouble']);
    expect(await overflowProblems(supervisor)).toEqual([]);
    await supervisor.keyboard.press('Escape');
    // 系统状态 says the same in its banner and its panels tile.
    await supervisor.locator('#nav a[data-nav="system"]').click();
    const tile = supervisor.locator('#sys-panels');
    await expect.poll(() => tile.getAttribute('data-level'), { timeout: 10_000 }).toBe('bad');
    expect(await tile.innerText()).toContain('2 台失联');
    expect(await tile.innerText()).toMatch(/2 台报警主机在 \d+ 秒内相继失联（共 3 台），集中在北城一网格/);
    expect(await supervisor.locator('#sys-banner').getAttribute('data-level')).toBe('bad');
    expect(await supervisor.locator('#sys-banner').innerText()).toMatch(/2 台报警主机在 \d+ 秒内相继失联/);
    await shot(supervisor, 'system-panels-lost');
    await supervisor.locator('#nav a[data-nav="queue"]').click();
    // Another panel of the city dropping now is a P4 ticket, not a P3 in the alarms' way.
    await bank.close(true);
    const store = svc.svc.need('store');
    await expect
      .poll(async () => (await store.incidents.findOpen('bank-2', 'maintenance'))?.priority, {
        timeout: 10_000,
      })
      .toBe(4);

    // The lines are back: the badge clears on every desk.
    bank = new PanelSimulator({ url: svc.mqttUrl, id: 'panel-2', secret: 'secret-panel-2' });
    await bank.connect();
    const back = ['panel-1', 'panel-3'].map(
      (id) => new PanelSimulator({ url: svc.mqttUrl, id, secret: `secret-${id}` }),
    );
    for (const s of back) await s.connect();
    try {
      await badge.waitFor({ state: 'hidden', timeout: 20_000 });
      await supervisor.locator('#sys-alert').waitFor({ state: 'hidden', timeout: 10_000 });
    } finally {
      for (const s of back) await s.detach();
    }
  }, 90_000);
});

describe('cameras lost together on the desks (headless Chromium, real RTSP cameras)', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let browser: Browser;
  let operator: Page;
  let supervisor: Page;
  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 160, height: 120, fps: 10, paths: ['main'] });
    // Three cameras behind one switch (the RTSP source): all three dark together are red.
    svc = await startTestService({
      yaml: `${CITY_YAML}
storage: { systemWatchSeconds: 1, camerasLostTogether: { cameras: 2, share: 0.5, badShare: 0.6 } }
cameras:
  - { id: cam-shop-1, name: 金店门口, site: shop-1, videoLossSeconds: 2, rtsp: "${rtsp.url('main')}" }
  - { id: cam-school-3, name: 小学校门, site: school-3, videoLossSeconds: 2, rtsp: "${rtsp.url('main')}" }
  - { id: cam-bank-2, name: 储蓄所大厅, site: bank-2, videoLossSeconds: 2, rtsp: "${rtsp.url('main')}" }
models: { verification: { enabled: false } }
`,
    });
    browser = await launchChromium();
    const page = async (user: string, role: string) => {
      const p = await (await browser.newContext({ viewport: HALL, locale: 'zh-CN' })).newPage();
      await loginInPage(p, svc.httpUrl, user, await addUser(svc, user, role, 'city'));
      return p;
    };
    operator = await page('op-camloss', 'operator');
    supervisor = await page('sup-camloss', 'supervisor');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  it('the switch goes down: one red trouble in words; alarms still flow but without pictures; the supervisor demotes the video-loss tickets once, however often clicked; 系统状态 agrees; it clears when the video returns', async () => {
    const cameras = async () =>
      ((await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { checks: { cameras?: { up: number } } })
        .checks.cameras?.up;
    try {
      // Up to a minute: ffmpeg runs niced, and on a machine running the whole suite it starts slowly.
      await expect.poll(cameras, { timeout: 60_000, interval: 250 }).toBe(3);
    } catch (err) {
      // Say why (CI saw none of the three up in 30 s once, on a loaded machine).
      throw new Error(
        `${(err as Error).message}\nhealth: ${JSON.stringify(await (await fetch(`${svc.httpUrl}/api/health`)).json())}\nhub: ${JSON.stringify(svc.svc.part<StreamHub>('streams').upstreams())}\nsource: ${JSON.stringify(rtsp.status())}`,
      );
    }
    await operator.waitForTimeout(3000); // a startup video loss (before the first frames) restored
    await rtsp.drop();

    const badge = operator.locator('#sys-alert');
    await badge.waitFor({ state: 'visible', timeout: 20_000 });
    await expect.poll(() => badge.getAttribute('data-level'), { timeout: 10_000 }).toBe('bad');
    await badge.click();
    const panel = operator.locator('#sys-alert-panel');
    const item = panel.locator('li[data-kind="cameras"]');
    // Two in 北城一网格, one in the south: spread over the city, so no place is named.
    const sentence =
      /^3 路摄像机在 \d+ 秒内相继断线（共 3 路）：多半是网络、交换机或本中心接入线路故障，不是各摄像机各自出事$/;
    try {
      await expect
        .poll(() => item.locator('.sys-alert-text').innerText(), { timeout: 20_000 })
        .toMatch(sentence);
    } catch (err) {
      // The third camera may go dark a check later than the others: the desk is told the new count
      // at the next check (before, only at a change of level or a minute later). If not, say why.
      const store = svc.svc.need('store');
      throw new Error(
        `${(err as Error).message}\ncamera_state: ${JSON.stringify(store.db.prepare('SELECT * FROM camera_state').all())}\nevents: ${JSON.stringify(store.db.prepare("SELECT device, type, received_at FROM events WHERE source = 'camera' ORDER BY rowid").all())}\nhub: ${JSON.stringify(svc.svc.part<StreamHub>('streams').upstreams())}\nsource: ${JSON.stringify(rtsp.status())}`,
      );
    }
    expect(await panel.locator('.sys-alert-effect').innerText()).toBe(
      await effectFor(
        panel,
        '报警照常入库和推送；断线的摄像机暂无实时画面和录像，处警时请用其他办法核实现场。',
      ),
    );
    expect(await item.locator('button').count()).toBe(0);
    expect(await textProblems(operator, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(operator, 'system-alert-cameras-lost-operator');
    await operator.keyboard.press('Escape');

    // The supervisor's click is slow to arrive: the button says so and takes no second click. Meanwhile
    // the other shift's supervisor, on another desk, turns storm mode on first.
    await supervisor.route('**/api/storms', async (route) => {
      if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    const other = await svc.login('sup-camloss-2', 'supervisor', 'city');
    await supervisor.locator('#sys-alert').waitFor({ state: 'visible', timeout: 10_000 });
    await supervisor.locator('#sys-alert').click();
    const supItem = supervisor.locator('#sys-alert-panel li[data-kind="cameras"]');
    const storm = supItem.locator('button.sys-alert-storm');
    await storm.waitFor({ timeout: 5_000 });
    expect(await storm.innerText()).toBe('视频丢失工单降为 P4（60 分钟）');
    await shot(supervisor, 'system-alert-cameras-lost-supervisor');
    await storm.click();
    await expect.poll(() => storm.innerText()).toBe('正在开启风暴模式…');
    expect(await storm.isDisabled()).toBe(true);
    await storm.click({ force: true }); // a second click on the disabled button does nothing
    const first = await api<{ by: string }>(`${svc.httpUrl}/api/storms`, other, {
      method: 'POST',
      body: JSON.stringify({
        node: 'city',
        categories: ['video_loss'],
        action: 'demote',
        minutes: 30,
        reason: '交换机故障',
      }),
    });
    expect(first.status).toBe(201);
    // The desk's own request arrives second: refused, told so in words, and shown whose is on.
    await expect
      .poll(() => supervisor.locator('#toasts .toast').allInnerTexts(), { timeout: 10_000 })
      .toContainEqual('这个辖区的风暴模式已经开启（可能是其他值班长刚开启的），无需重复开启');
    const on = supItem.locator('.sys-alert-storm-on');
    await on.waitFor({ timeout: 10_000 });
    const storms = await svc.svc.need('store').k.selectFrom('storms').selectAll().execute();
    expect(storms).toHaveLength(1);
    // Half an hour from 23:30 on ends tomorrow, and the line says so.
    expect(await on.innerText()).toMatch(
      new RegExp(
        `^风暴模式已开启：视频丢失工单降为 P4，至 ${cityOnDay(storms[0]!.ends_at)}\\d\\d:\\d\\d:\\d\\d（sup-camloss-2）$`,
      ),
    );
    expect(storms[0]).toMatchObject({ node: 'city', action: 'demote', by_user: 'sup-camloss-2' });
    expect(JSON.parse(storms[0]!.categories)).toEqual(['video_loss']);
    await shot(supervisor, 'system-alert-cameras-storm-by-other');
    await supervisor.keyboard.press('Escape');

    // 系统状态: the cameras tile and the banner in the same words.
    await supervisor.locator('#nav a[data-nav="system"]').click();
    const tile = supervisor.locator('#sys-cameras');
    await expect.poll(() => tile.getAttribute('data-level'), { timeout: 10_000 }).toBe('bad');
    expect(await tile.innerText()).toContain('3 路断线');
    expect(await tile.innerText()).toMatch(/3 路摄像机在 \d+ 秒内相继断线（共 3 路）/);
    expect(await supervisor.locator('#sys-banner').getAttribute('data-level')).toBe('bad');
    expect(await supervisor.locator('#sys-banner').innerText()).toMatch(/3 路摄像机在 \d+ 秒内相继断线/);
    expect(await overflowProblems(supervisor)).toEqual([]);
    await shot(supervisor, 'system-cameras-lost');

    // The switch is back: the cameras restore and every desk clears.
    await rtsp.resume();
    await badge.waitFor({ state: 'hidden', timeout: 45_000 });
    await supervisor.locator('#sys-alert').waitFor({ state: 'hidden', timeout: 10_000 });
  }, 200_000);

  it('the node judging the city’s cameras hands over during the outage: one trouble on the desk, one chime, no node named; taken in charge for the city', async () => {
    // Two other nodes of the city, as the Redis adapter brings their word to this node's desks.
    const ops = svc.svc.need('ops');
    const tell = (status: SystemStatus) => ops.to(SYSTEM_ROOM).emit('system:status', status);
    const since = new Date(Date.now() - 90_000).toISOString();
    const trouble: SystemTrouble = {
      kind: 'cameras',
      level: 'bad',
      since,
      figures: { lost: 120, of: 900, lostAll: 124, firstAt: Date.parse(since), spanSeconds: 40 },
      where: { id: 'north', name: '北城派出所' },
    };
    const at = () => new Date().toISOString();
    const chimes = async () => Number((await operator.locator('body').getAttribute('data-chimes')) ?? 0);
    const before = await chimes();
    tell({ node: 'node-x', level: 'bad', troubles: [trouble], at: at() });
    const badge = operator.locator('#sys-alert');
    await badge.waitFor({ state: 'visible', timeout: 10_000 });
    await expect.poll(chimes).toBe(before + 1);
    // node-x loses the supervision lease; node-y tells the same trouble before node-x's next check.
    tell({ node: 'node-y', level: 'bad', troubles: [trouble], at: at() });
    await operator.waitForTimeout(500);
    tell({ node: 'node-x', level: 'ok', troubles: [], at: at() });
    await operator.waitForTimeout(500);
    await badge.click();
    // Not counting a slow alarm path of this node's own (the machine running the suite).
    const items = operator.locator('#sys-alert-panel li:not([data-kind="wait"])');
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.first().getAttribute('data-kind')).toBe('cameras');
    const text = await items.first().locator('.sys-alert-text').innerText();
    expect(text).toMatch(/^120 路摄像机在 40 秒内相继断线（共 900 路），集中在北城派出所：/);
    expect(text).not.toMatch(/节点|node-/);
    expect(await chimes()).toBe(before + 1);
    expect(await textProblems(operator, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await shot(operator, 'system-alert-cameras-handover');
    await operator.keyboard.press('Escape');

    // The supervisor takes charge of it: kept for the city, so whichever node judges it next reads it.
    // This node asks what stands, and node-y answers with the trouble it tells now: its start moved
    // half a minute on since the desk heard it (a denser window of losses), so the desk's is stale.
    const peers = svc.svc.part<SystemPeers>('system.peers');
    const statuses = peers.statuses;
    const real = new Date(Date.parse(since) + 30_000).toISOString();
    peers.statuses = async () => [
      ...(await statuses()),
      { node: 'node-y', level: 'bad', troubles: [{ ...trouble, since: real }], at: at() },
    ];
    await supervisor.locator('#sys-alert').click();
    const item = supervisor.locator('#sys-alert-panel li[data-kind="cameras"]');
    const shown = await item.locator('.sys-alert-since').innerText();
    await item.locator('button.sys-alert-ack').click();
    await expect.poll(() => item.locator('.sys-alert-acked-by').count()).toBe(1);
    // The desk shows the start the acknowledgement was kept under.
    expect(await item.locator('.sys-alert-since').innerText()).not.toBe(shown);
    await shot(supervisor, 'system-alert-cameras-taken');
    const acks = await svc.svc
      .need('store')
      .k.selectFrom('system_trouble_acks')
      .select(['node', 'trouble', 'since', 'by_user'])
      .where('trouble', '=', 'cameras:')
      .execute();
    expect(acks).toEqual([{ node: '*', trouble: 'cameras:', since: real, by_user: 'sup-camloss' }]);
    peers.statuses = statuses;
    await supervisor.keyboard.press('Escape');

    // The cameras are back: node-y says so, and every desk clears.
    tell({ node: 'node-y', level: 'ok', troubles: [], at: at() });
    await badge.waitFor({ state: 'hidden', timeout: 10_000 });
    await supervisor.locator('#sys-alert').waitFor({ state: 'hidden', timeout: 10_000 });
  }, 60_000);
});
