import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Incident } from '../../src/core/incident-types.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_IDS,
  CITY_YAML,
  HALL,
  LAPTOP,
  launchChromium,
  loginInPage,
  OFFICERS_TIME_ZONE,
  overflowProblems,
  shot,
  textProblems,
} from './console-helpers.js';

/**
 * The shop owner's page against the real service: armed or not, the police's state in plain words,
 * the test alarm followed until the centre has received it, troubles explained.
 */
describe('the shop owner’s page (headless Chromium)', () => {
  let svc: TestService;
  let browser: Browser;
  let shop: PanelSimulator;
  let bank: PanelSimulator;
  let token: string;
  let owner: Page;

  const hhmm = (iso: string) =>
    new Date(iso).toLocaleTimeString('zh-CN', {
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
      timeZone: OFFICERS_TIME_ZONE,
    });

  beforeAll(async () => {
    svc = await startTestService({ yaml: CITY_YAML });
    token = await svc.login('op-api', 'operator', 'city');
    browser = await launchChromium();
    shop = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-1',
      secret: 'secret-panel-1',
      battery: 71,
      heartbeatSeconds: 10,
    });
    // The bank's panel refuses commands: its owner is told so, in words.
    bank = new PanelSimulator({
      url: svc.mqttUrl,
      id: 'panel-2',
      secret: 'secret-panel-2',
      heartbeatSeconds: 10,
      commands: 'fail',
    });
    await Promise.all([shop.connect(), bank.connect()]);
    // The shop arms for the night, then its mains fail.
    await shop.send('arm', { cid: 'R401' });

    await shop.send('trouble', { cid: 'E301' });
    const ctx = await browser.newContext({ viewport: LAPTOP, locale: 'zh-CN' });
    owner = await ctx.newPage();
    await loginInPage(owner, svc.httpUrl, 'owner-shop', await addUser(svc, 'owner-shop', 'site', 'shop-1'));
  });

  afterAll(async () => {
    await Promise.all([shop?.close(), bank?.close()]);
    await browser?.close();
    await svc?.close();
  });

  it('says whether the shop is armed and explains a trouble with what to do', async () => {
    await expect.poll(() => owner.locator('#site-armed b').textContent()).toBe('外出布防');
    const ticket = owner.locator('#site-incidents tr[data-kind=maintenance]');
    await expect.poll(() => ticket.locator('b').textContent()).toBe('主机断电（市电中断）');
    expect(await ticket.locator('.advice').textContent()).toBe(
      '请检查主机电源插头和空气开关；主机正在用备用电池',
    );
    expect(await owner.locator('#site-incidents').textContent()).not.toContain('故障');
  });

  it('follows the police in plain words: received, dispatched with the unit and time, on scene', async () => {
    const line = owner.locator('#police-line b');
    await shop.waitForAck(await shop.send('panic', { zone: '1' }), 'received');
    await expect.poll(() => line.textContent()).toMatch(/^报警已送达指挥中心 \d\d:\d\d，正在接警$/);
    const { body } = await api<{ incidents: Incident[] }>(
      `${svc.httpUrl}/api/incidents?site=shop-1&kind=alarm`,
      token,
    );
    const inc = body.incidents[0]!;
    const acked = await api<Incident>(`${svc.httpUrl}/api/incidents/${inc.id}/ack`, token, {
      method: 'POST',
      body: '{}',
    });
    const ackAt = acked.body.transitions.at(-1)!.at;
    await expect.poll(() => line.textContent()).toBe(`指挥中心已接警 ${hhmm(ackAt)}，正在派警`);
    const sent = await api<Incident>(`${svc.httpUrl}/api/incidents/${inc.id}/dispatch`, token, {
      method: 'POST',
      body: JSON.stringify({ unit: 'car-n1' }),
    });
    const at = sent.body.units![0]!.dispatchedAt;
    await expect.poll(() => line.textContent()).toBe(`已派警 北城巡逻1车 ${hhmm(at)}`);
    await shot(owner, '50-owner-dispatched-1366');
    const arrived = await api<Incident>(`${svc.httpUrl}/api/incidents/${inc.id}/on-scene`, token, {
      method: 'POST',
      body: JSON.stringify({ unit: 'car-n1' }),
    });
    await expect
      .poll(() => line.textContent())
      .toBe(`民警已到场 北城巡逻1车 ${hhmm(arrived.body.units![0]!.arrivedAt!)}`);
    // The owner still cannot read the city's roster, only the unit sent to them.
    const ownerToken = await owner.evaluate(() => localStorage.getItem('sharpeyes.token'));
    const units = await api<{ units: unknown[] }>(`${svc.httpUrl}/api/units`, ownerToken!);
    expect(units.body.units).toEqual([{ id: 'car-n1', name: '北城巡逻1车', kind: 'patrol_car' }]);
  });

  it('confirms a test alarm with the time the centre received it', async () => {
    const command = new Promise<{ command: string }>((resolve) => shop.once('command', resolve));
    await owner.locator('button.test-alarm[data-panel="panel-1"]').click();
    expect((await command).command).toBe('test');
    const steps = owner.locator('#test-steps li');
    await expect.poll(() => steps.count(), { timeout: 15_000 }).toBe(3);
    const texts = await steps.allTextContents();
    expect(texts[0]).toMatch(/^测试指令已发出 \d\d:\d\d:\d\d$/);
    expect(texts[1]).toMatch(/^报警主机已响应 \d\d:\d\d:\d\d（用时 \d+ 毫秒）$/);
    expect(texts[2]).toMatch(/^指挥中心已收到测试报警 \d\d:\d\d:\d\d，测试成功$/);
    // The time shown is the centre's receipt of the panel's test signal.
    const signals = await api<{ signals: { receivedAt: string; device: string }[] }>(
      `${svc.httpUrl}/api/sites/shop-1/signals?type=test`,
      token,
    );
    const received = new Date(signals.body.signals[0]!.receivedAt).toLocaleTimeString('zh-CN', {
      hour12: false,
      timeZone: OFFICERS_TIME_ZONE,
    });
    expect(texts[2]).toContain(received);
    await owner.locator('#last-test').waitFor();
    await shot(owner, '51-owner-test-1366');
    expect(await overflowProblems(owner)).toEqual([]);
    expect(await textProblems(owner, { chinese: true })).toEqual({ rawIds: [], english: [] });
  });

  it('says so when the panel refuses the test', async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const p = await ctx.newPage();
    await loginInPage(p, svc.httpUrl, 'owner-bank', await addUser(svc, 'owner-bank', 'site', 'bank-2'));
    await p.locator('button.test-alarm[data-panel="panel-2"]').click();
    await expect
      .poll(() => p.locator('#test-steps li').last().textContent(), { timeout: 15_000 })
      .toBe('报警主机拒绝了测试，请联系安装维护单位');
    await shot(p, '52-owner-test-refused-1920');
    expect(await overflowProblems(p)).toEqual([]);
    expect(await textProblems(p, { chinese: true })).toEqual({ rawIds: [], english: [] });
    await ctx.close();
  });

  it('shows the owner their alarm by names, not ids or logins, with nothing of the police’s to press', async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const p = await ctx.newPage();
    await loginInPage(p, svc.httpUrl, 'owner-bank-2', await addUser(svc, 'owner-bank-2', 'site', 'bank-2'));
    // The bank's intrusion (P2) goes unanswered and escalates; then the city's operator takes it.
    await bank.send('arm', { cid: 'R401' });
    await bank.waitForAck(await bank.send('intrusion', { zone: '1' }), 'received');
    const incident = async () =>
      (await api<{ incidents: Incident[] }>(`${svc.httpUrl}/api/incidents?site=bank-2&open=true`, token)).body
        .incidents[0];
    await expect
      .poll(async () => (await incident())?.escalations?.length ?? 0, { timeout: 10_000 })
      .toBeGreaterThan(0);
    const inc = (await incident())!;
    expect(
      (await api(`${svc.httpUrl}/api/incidents/${inc.id}/take`, token, { method: 'POST', body: '{}' }))
        .status,
    ).toBe(200);
    await p.goto(`${svc.httpUrl}/#/incident/${inc.id}`);
    const timeline = p.locator('#timeline');
    await expect.poll(() => timeline.textContent()).toContain('升级 #1 → 南城派出所');
    await expect.poll(() => p.locator('#wf-owner').textContent()).toContain('朔州市110指挥中心');
    expect(await p.locator('#workflow-card button').count()).toBe(0);
    expect(await p.locator('#wf-plan, .wf-site-link').count()).toBe(0);
    expect(await p.locator('#workflow-card').textContent()).toContain('李所长');
    await shot(p, '54-owner-incident-1920');
    expect(await textProblems(p, { chinese: true, ids: [...CITY_IDS, 'op-api'] })).toEqual({
      rawIds: [],
      english: [],
    });
    await ctx.close();
  });

  it('reads right in English too: names, not ids', async () => {
    await owner.locator('#lang').click();
    await expect.poll(() => owner.locator('#nav a').first().textContent()).toBe('My site');
    await expect.poll(() => owner.locator('#site-armed b').textContent()).toBe('Armed (away)');
    await expect
      .poll(() => owner.locator('#police-line b').textContent())
      .toMatch(/^Police on scene: 北城巡逻1车 at /);
    await shot(owner, '53-owner-english-1366');
    expect((await textProblems(owner, { chinese: false })).rawIds).toEqual([]);
    expect(await overflowProblems(owner)).toEqual([]);
    await owner.locator('#lang').click();
  });
});
