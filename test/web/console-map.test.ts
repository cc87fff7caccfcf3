import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCanvas } from '@napi-rs/canvas';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import {
  addUser,
  CITY_YAML,
  HALL,
  launchChromium,
  loginInPage,
  overflowProblems,
  shopWithPanic,
  shot,
  textProblems,
} from './console-helpers.js';

/**
 * A tile server like a police intranet's GIS (XYZ PNG tiles), drawn on the fly: each tile shows its
 * z/x/y, so a screenshot proves which tiles the map asked for.
 */
async function startTileServer(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const m = /^\/tiles\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    requests.push(`${m[1]}/${m[2]}/${m[3]}`);
    const canvas = createCanvas(256, 256);
    const g = canvas.getContext('2d');
    g.fillStyle = '#1b2a3a';
    g.fillRect(0, 0, 256, 256);
    g.strokeStyle = '#35506f';
    g.strokeRect(0.5, 0.5, 255, 255);
    g.fillStyle = '#6f8fb8';
    g.font = '16px sans-serif';
    g.fillText(`${m[1]}/${m[2]}/${m[3]}`, 10, 24);
    res.writeHead(200, { 'content-type': 'image/png' }).end(canvas.toBuffer('image/png'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`, requests };
}

describe('the map with the intranet tile server from config', () => {
  let svc: TestService;
  let browser: Browser;
  let tiles: Awaited<ReturnType<typeof startTileServer>>;
  let shop: PanelSimulator;

  beforeAll(async () => {
    tiles = await startTileServer();
    svc = await startTestService({
      yaml: `${CITY_YAML}map: { tiles: "${tiles.url}", attribution: 市局地理信息平台, maxZoom: 18 }\n`,
    });
    shop = await shopWithPanic(svc);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await shop?.close();
    await browser?.close();
    await svc?.close();
    await new Promise((r) => tiles?.server.close(r));
  });

  it('draws the configured tiles under the layers, and loads nothing from outside the hall', async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const hosts = new Set<string>();
    page.on('request', (r) => hosts.add(new URL(r.url()).host));
    await loginInPage(page, svc.httpUrl, 'op-tiles', await addUser(svc, 'op-tiles', 'operator', 'city'));
    await page.goto(`${svc.httpUrl}/#/map`);
    await page.locator('#map-canvas[data-ready=true]').waitFor();
    await expect.poll(() => page.locator('#map-canvas img.leaflet-tile-loaded').count()).toBeGreaterThan(3);
    expect(await page.locator('#map-canvas').getAttribute('class')).not.toContain('no-tiles');
    expect(tiles.requests.length).toBeGreaterThan(3);
    expect(await page.locator('.leaflet-control-attribution').textContent()).toBe('市局地理信息平台');
    await page.locator('#map-canvas .inc-pin[data-site="shop-1"]').waitFor();
    await page.waitForTimeout(500);
    await shot(page, '60-map-tiles-1920');
    expect(await overflowProblems(page)).toEqual([]);
    expect(await textProblems(page, { chinese: true })).toEqual({ rawIds: [], english: [] });
    // The service and the tile server, nothing else (Leaflet comes from /vendor/).
    const tileHost = new URL(tiles.url.replace(/\{\w\}/g, '0')).host;
    expect([...hosts].sort()).toEqual([new URL(svc.httpUrl).host, tileHost].sort());
    await ctx.close();
  });

  // The desk's own outermost area is drawn as an outline (Leaflet's `fill: false`, an attribute), but
  // the stylesheet's `fill` overrode it at full opacity: a station's whole map was one blue slab over
  // the intranet's tiles.
  it("outlines a station desk's own area over the tiles, without painting it over", async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await loginInPage(
      page,
      svc.httpUrl,
      'op-north-tiles',
      await addUser(svc, 'op-north-tiles', 'operator', 'north'),
    );
    await page.goto(`${svc.httpUrl}/#/map`);
    await page.locator('#map-canvas[data-ready=true]').waitFor();
    await page.locator('#map-canvas path.area-d0').waitFor();
    await expect.poll(() => page.locator('#map-canvas img.leaflet-tile-loaded').count()).toBeGreaterThan(3);
    await shot(page, '60-map-tiles-station-1920');
    const painted = await page.locator('#map-canvas path.area').evaluateAll((paths) =>
      paths.map((p) => {
        const st = getComputedStyle(p);
        return {
          area: p.getAttribute('class')?.match(/area-d\d/)?.[0],
          opacity: st.fill === 'none' ? 0 : Number(st.fillOpacity),
        };
      }),
    );
    expect(painted.map((a) => a.area).sort()).toEqual(['area-d0', 'area-d1', 'area-d1']);
    expect(painted.filter((a) => a.opacity > 0.1)).toEqual([]);
    await ctx.close();
  });

  // The map asked every user for the supervisors' ratings report: an investigator's console met a
  // 403 at each visit (and a warning in its log) for a layer the site list already feeds.
  it('asks an investigator for nothing their role is refused', async () => {
    const ctx = await browser.newContext({ viewport: HALL, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const refused: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 401 || r.status() === 403)
        refused.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await loginInPage(page, svc.httpUrl, 'inv-map', await addUser(svc, 'inv-map', 'investigator', 'city'));
    await page.goto(`${svc.httpUrl}/#/map`);
    await page.locator('#map-canvas[data-ready=true]').waitFor();
    await page.locator('#map-canvas .inc-pin[data-site="shop-1"]').waitFor();
    await page.waitForTimeout(1_000);
    expect(refused).toEqual([]);
    await ctx.close();
  });

  it('tells each user the base map and only the areas of their own scope', async () => {
    const north = await svc.login('op-north-map', 'operator', 'north');
    const { body } = await api<{ tiles: { url: string } | null; areas: { id: string }[] }>(
      `${svc.httpUrl}/api/map`,
      north,
    );
    expect(body.tiles?.url).toBe(tiles.url);
    expect(body.areas.map((a) => a.id).sort()).toEqual(['north', 'north-grid-1', 'north-grid-2']);
    const owner = await svc.login('owner-map', 'site', 'shop-1');
    expect((await api<{ areas: unknown[] }>(`${svc.httpUrl}/api/map`, owner)).body.areas).toEqual([]);
    expect((await api(`${svc.httpUrl}/api/map`, undefined)).status).toBe(401);
  });
});
