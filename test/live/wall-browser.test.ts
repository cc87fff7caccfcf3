import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/service.js';
import { launchChromium } from '../web/console-helpers.js';
import { type LiveCity, startLiveCity } from './live-fixture.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

let city: LiveCity;
let browser: Browser;
let page: Page;
let token: string;

beforeAll(async () => {
  city = await startLiveCity();
  token = await city.svc.login('op-wall', 'operator', 'city');
  await api(`${city.svc.httpUrl}/api/wall`, token, {
    method: 'PUT',
    body: JSON.stringify({ layout: 4, tiles: ['cam-1', 'cam-3'], alarmTiles: 1 }),
  });
  browser = await launchChromium({ args: ['--autoplay-policy=no-user-gesture-required'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => console.error('page error:', err));
  await page.goto(`${city.svc.httpUrl}/live/wall.html`);
  await page.evaluate((t) => localStorage.setItem('sharpeyes.token', t), token);
  await page.reload();
});
afterAll(async () => {
  await browser?.close();
  await city?.close();
});

/** The wall's own subscriptions (the recorder may hold others). */
const viewersOf = (camera: string, stream: string) =>
  city.hub
    .upstreams()
    .filter((u) => u.camera === camera && u.stream === stream)
    .flatMap((u) => u.consumers.filter((c) => c.startsWith('live:')));

const currentTime = (sel: string) =>
  page.$eval(`${sel} video`, (v) => (v as HTMLVideoElement).currentTime).catch(() => -1);

describe('video wall in headless Chromium', () => {
  it('plays the saved tiles live through MSE and shows name, site, state and latency', async () => {
    const tile = '.live-wall-grid .live-tile[data-camera="cam-1"]';
    await page.waitForSelector(`${tile}[data-state="live"]`, { timeout: 20_000 });
    const t0 = await currentTime(tile);
    await page.waitForFunction(
      ([sel, t]) =>
        ((document.querySelector(`${sel} video`) as HTMLVideoElement | null)?.currentTime ?? 0) > t + 0.5,
      [tile, t0] as const,
      { timeout: 15_000 },
    );
    expect(await page.$eval(`${tile} .live-name`, (e) => e.textContent)).toBe('Shop till');
    expect(await page.$eval(`${tile} .live-site`, (e) => e.textContent)).toBe('Shop One');
    expect(await page.$eval(`${tile} .live-state`, (e) => e.textContent)).toBe('实时');
    await page.waitForSelector(`${tile} .live-latency:not(:empty)`, { timeout: 10_000 });
    expect(await page.$eval(`${tile} .live-latency`, (e) => e.textContent)).toMatch(/^\d+ ms$/);
    expect(await page.$$eval('.live-wall-grid .live-tile', (els) => els.length)).toBe(4);
    expect(viewersOf('cam-1', 'sub')).toEqual(['live:op-wall']);
    expect(viewersOf('cam-1', 'main')).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'live-wall.png') });
  });

  it('switches layout and saves it for the operator', async () => {
    await page.click('button.live-layout[data-layout="9"]');
    await page.waitForFunction(() => document.querySelectorAll('.live-wall-grid .live-tile').length === 9);
    await expect
      .poll(async () => (await api<{ layout: number }>(`${city.svc.httpUrl}/api/wall`, token)).body.layout)
      .toBe(9);
  });

  it('opens the main stream full screen on double-click', async () => {
    await page.dblclick('.live-wall-grid .live-tile[data-camera="cam-1"] video');
    await page.waitForSelector('.live-full .live-tile[data-state="live"]', { timeout: 20_000 });
    expect(viewersOf('cam-1', 'main')).toEqual(['live:op-wall']);
    await page.keyboard.press('Escape');
    await page.waitForSelector('.live-full', { state: 'detached' });
    await expect.poll(() => viewersOf('cam-1', 'main')).toEqual([]);
  });

  it('falls back to JPEG snapshots in a browser without Media Source Extensions', async () => {
    const ctx = await browser.newContext();
    await ctx.addInitScript((t) => {
      Reflect.deleteProperty(window, 'MediaSource');
      Reflect.deleteProperty(window, 'ManagedMediaSource');
      localStorage.setItem('sharpeyes.token', t);
    }, token);
    try {
      const p = await ctx.newPage();
      await p.goto(`${city.svc.httpUrl}/live/wall.html`);
      const tile = '.live-wall-grid .live-tile[data-camera="cam-1"]';
      await p.waitForSelector(`${tile}[data-state="jpeg"]`, { timeout: 20_000 });
      await p.waitForFunction(
        (sel) =>
          ((document.querySelector(`${sel} img.live-jpeg`) as HTMLImageElement | null)?.naturalWidth ?? 0) >
          0,
        tile,
        { timeout: 15_000 },
      );
      expect(await p.$eval(`${tile} .live-state`, (e) => e.textContent)).toBe('抓图');

      await p.screenshot({ path: join(ARTIFACTS, 'live-wall-jpeg.png') });
    } finally {
      await ctx.close();
    }
  });

  it('puts an incident’s cameras on the first tiles with its colour until acknowledged', async () => {
    const panel = await mqtt.connectAsync(city.svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1-wall',
    });
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'evt-wall-1', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const first = '.live-wall-grid .live-tile[data-index="0"]';
    await page.waitForSelector(`${first}[data-camera="cam-2"].alarm`, { timeout: 10_000 });
    await page.waitForSelector(`${first}[data-state="live"]`, { timeout: 20_000 });
    // The camera it displaced moved along instead of disappearing.
    expect(
      await page.$$eval('.live-wall-grid .live-tile', (els) =>
        els.map((e) => (e as HTMLElement).dataset['camera']),
      ),
    ).toEqual(expect.arrayContaining(['cam-2', 'cam-1', 'cam-3']));
    await page.screenshot({ path: join(ARTIFACTS, 'live-wall-alarm.png') });
    const { body } = await api<{ incidents: { id: string }[] }>(
      `${city.svc.httpUrl}/api/incidents?site=shop-1`,
      token,
    );
    const ack = await api(`${city.svc.httpUrl}/api/incidents/${body.incidents[0]?.id}/ack`, token, {
      method: 'POST',
      body: '{}',
    });
    expect(ack.status).toBe(200);
    await page.waitForSelector(`${first}:not(.alarm)`, { timeout: 10_000 });
    await panel.endAsync();
  });
});
