import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.js';
import type { RatingMaintainer } from '../../src/ratings/rating-maintainer.js';
import type { FactsBackfill } from '../../src/reports/facts-backfill.js';
import { addMonths, monthOf, monthsBetween } from '../../src/reports/local-time.js';
import type { ReportDeps } from '../../src/reports/monthly-report.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { withoutFaketime } from '../../src/util/without-faketime.js';
import { ev } from '../core/core-fixture.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { launchChromium } from '../web/console-helpers.js';
import { REPORT_CITY, ratingsAsked } from './report-fixture.js';
import { alarms, seedIncidents } from './seed-history.js';

const YAML = `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
${REPORT_CITY(true)}
`;

/**
 * The fixture's month: finished, and one of the 4 months the ratings rate at start (the city's
 * `backfillMonths`), whenever the test runs. A fixed month (October 2026) left the owner's history
 * without it from March 2027.
 */
const MONTH = addMonths(monthOf(Date.now(), 'Asia/Shanghai'), -2);

let svc: TestService;
let admin: string;
let southDesk: string;
let owner: string;
let browser: Browser | undefined;

const after = (t: number, seconds: number) => new Date(t + seconds * 1000).toISOString();
const get = (path: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${svc.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

beforeAll(async () => {
  // History written before the service starts: the upgrade path (projected in the background).
  const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-reports-api-'));
  const seed = new SqliteStore(join(dataDir, 'sharpeyes.db'));
  await seedIncidents(seed.k, [
    // Acknowledged after 40 s, on scene 8 min after the dispatch.
    ...alarms('oct-shop', 'shop-1', 'north-grid-1', `${MONTH}-05T09:00:00+08:00`, 3, (t) => ({
      ack: after(t, 40),
      units: [{ unit: 'car-n1', at: after(t, 60), arrived: after(t, 540) }],
      closed: after(t, 7200),
    })),
    // False alarms, acknowledged after 90 s.
    ...alarms('oct-school', 'school-2', 'south', `${MONTH}-12T22:00:00+08:00`, 2, (t) => ({
      state: 'false_alarm',
      confirmed: false,
      ack: after(t, 90),
      closed: after(t, 1800),
    })),
  ]);
  await seed.close();
  svc = await startTestService({ yaml: YAML, dataDir });
  const backfill = svc.svc.part<FactsBackfill>('reports.backfill');
  for (let i = 0; i < 200 && !backfill.done; i++) await new Promise((r) => setTimeout(r, 50));
  // The finished months are rated once the history is in (the maintainer's first check).
  await svc.svc.part<RatingMaintainer>('ratings.maintainer').check();
  admin = await svc.login('centre', 'supervisor', 'city');
  southDesk = await svc.login('south-desk', 'operator', 'south');
  owner = await svc.login('shop-owner', 'site', 'shop-1');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe('GET /api/reports/monthly', () => {
  it('answers JSON for a node and month', async () => {
    const res = await get(`/api/reports/monthly?node=city&month=${MONTH}`, admin);
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r).toMatchObject({
      node: { id: 'city', name: '市110指挥中心' },
      month: MONTH,
      final: true,
      complete: true,
    });
    expect(r.figures.counts).toMatchObject({ alarms: 5, falseAlarms: 2 });
    expect(r.figures.response.acknowledge).toEqual({ count: 5, p50: 40, p90: 90, max: 90 });
    expect(r.figures.units.find((u: { unit: string }) => u.unit === 'car-n1').dispatchToArrival).toEqual({
      count: 3,
      p50: 480,
      p90: 480,
      max: 480,
    });
    // shop-1 red (3 confirmed), school-2 yellow (false alarms); bank-3 came later (first seen now).
    expect(r.ratings.counts).toEqual({ green: 0, yellow: 1, red: 1 });
  });

  it('as CSV: text/csv with a header row', async () => {
    const res = await get(`/api/reports/monthly?node=south&month=${MONTH}&format=csv`, admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('section,group,item,measure,value');
    expect(lines).toContain('counts,south,,falseAlarms,2');
  });

  it('streams progress as NDJSON when asked, the report last', async () => {
    const res = await get(`/api/reports/monthly?node=city&month=${MONTH}`, admin, {
      accept: 'application/x-ndjson',
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.progress).length).toBeGreaterThanOrEqual(10);
    expect(lines.at(-1).result.month).toBe(MONTH);
  });

  it.each([
    ['month missing', '/api/reports/monthly?node=city', 400, 'bad_request'],
    ['not a month', '/api/reports/monthly?node=city&month=2026-13', 400, 'bad_request'],
    ['a month not begun', `/api/reports/monthly?node=city&month=${addMonths(MONTH, 4)}`, 400, 'bad_request'],
    ['an unknown format', `/api/reports/monthly?node=city&month=${MONTH}&format=xls`, 400, 'bad_request'],
    ['an unknown node', `/api/reports/monthly?node=mars&month=${MONTH}`, 404, 'not_found'],
  ])('%s is a 4xx naming the problem', async (_what, path, status, code) => {
    const res = await get(path, admin);
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });

  it('a desk sees its own node and below, never above or beside', async () => {
    expect((await get(`/api/reports/monthly?month=${MONTH}`, southDesk)).status).toBe(200);
    expect((await get(`/api/reports/monthly?node=north&month=${MONTH}`, southDesk)).status).toBe(404);
    expect((await get(`/api/reports/monthly?node=city&month=${MONTH}`, southDesk)).status).toBe(404);
    expect((await get(`/api/reports/monthly?month=${MONTH}`, owner)).status).toBe(403);
    expect((await fetch(`${svc.httpUrl}/api/reports/monthly?month=${MONTH}`)).status).toBe(401);
  });
});

describe('ratings on the site list and the shop owner’s page', () => {
  it('the site list carries the running month’s rating; the owner sees only their own site’s history', async () => {
    const sites = await (await get('/api/sites', admin)).json();
    expect(sites.sites.map((s: { id: string; rating: string }) => [s.id, s.rating]).sort()).toEqual([
      ['bank-3', 'green'],
      ['school-2', 'green'],
      ['shop-1', 'green'],
    ]);
    // Back to the fixture's month from the running month.
    const months = monthsBetween(MONTH, monthOf(Date.now(), svc.svc.config.ratings.timezone)).length;
    const own = await get(`/api/ratings/sites/shop-1?months=${months}`, owner);
    expect(own.status).toBe(200);
    const body = await own.json();
    expect(body.months[0]).toMatchObject({ site: 'shop-1', final: false });
    expect(body.months.find((m: { month: string }) => m.month === MONTH)).toMatchObject({
      rating: 'red',
      final: true,
    });
    expect((await get('/api/ratings/sites/school-2', owner)).status).toBe(404);
  });
});

describe('the running month’s ratings while alarms come in', () => {
  it('an alarm brings its own site’s rating up to date: the report worker is asked for that site alone', async () => {
    const report = svc.svc.part<ReportDeps>('reports');
    const month = monthOf(Date.now(), svc.svc.config.ratings.timezone);
    const ratings = async () => {
      const res = await get(`/api/reports/ratings?month=${month}`, admin);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { sites: { id: string; alarms: number }[] };
      return new Map(body.sites.map((s) => [s.id, s.alarms]));
    };
    const before = await ratings();
    const { calls: asked, restore } = ratingsAsked(report.runner);
    try {
      await svc.svc.need('core').ingest(ev('panic', { site: 'school-2', device: 'panel-s2', zone: '1' }));
      // Once the reports sink has projected it.
      await svc.svc.part<OutboxDispatcher>('outbox.dispatcher').idle();
      const after = await ratings();
      expect(after.get('school-2')).toBe(before.get('school-2')! + 1);
      expect(after.get('shop-1')).toBe(before.get('shop-1'));
      expect(asked).toEqual(['school-2']);
    } finally {
      restore();
    }
  });
});

describe('the report page, in Chromium', () => {
  it('draws every chart and prints to a PDF', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${svc.httpUrl}/report.html?node=city&month=${MONTH}`);
    await page.evaluate((token) => localStorage.setItem('sharpeyes.token', token), admin);
    await page.reload();
    await page.waitForFunction(
      () => (window as unknown as { __reportReady?: boolean }).__reportReady === true,
    );
    // Each canvas has drawn pixels (a chart that failed leaves it blank).
    const inked = await page.$$eval('canvas', (list) =>
      list.map((c) => {
        const d = (c as HTMLCanvasElement)
          .getContext('2d')!
          .getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      }),
    );
    expect(inked).toHaveLength(6);
    for (const n of inked) expect(n).toBeGreaterThan(500);
    // How the month's alarms were closed: outcomes and false-alarm causes, each code a row.
    const outcomes = page.locator('#rp-outcomes');
    expect(await outcomes.locator('h2').allTextContents()).toEqual(['结案结果', '误报原因']);
    expect(await outcomes.textContent()).toContain('设备故障');
    await page.screenshot({ path: join(svc.dataDir, 'report.png'), fullPage: true });
    if (process.env['SHARPEYES_KEEP_SCREENSHOT'])
      await page.screenshot({ path: process.env['SHARPEYES_KEEP_SCREENSHOT'], fullPage: true });

    const pdf = await get(`/api/reports/monthly?node=city&month=${MONTH}&format=pdf`, admin);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(20_000);
  }, 60_000);
});

describe('the PDF’s “generated” stamp', () => {
  // The PDF's Chromium runs on the real clock (libfaketime hangs it), as src/reports/report-pdf.ts
  // starts it: under `npm run test:at` its own clock is not the service's. The stamp must be the
  // service's time, handed in with the report, as the desks' page shows it.
  it('is the service’s time, not that of the browser printing it', async () => {
    const res = await get(`/api/reports/monthly?node=city&month=${MONTH}`, admin);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { timezone: string };
    const asked = Date.now();
    const printer = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
      env: withoutFaketime(),
    });
    try {
      const context = await printer.newContext({ locale: 'zh-CN', timezoneId: report.timezone });
      const page = await context.newPage();
      await page.addInitScript(
        ([data, l]) => {
          const w = window as unknown as Record<string, unknown>;
          w['__REPORT__'] = data;
          w['__REPORT_LANG__'] = l;
        },
        [report, 'zh'] as const,
      );
      await page.goto(`${svc.httpUrl}/report.html?node=city&month=${MONTH}&print=1`);
      await page.waitForFunction(
        () => (window as unknown as { __reportReady?: boolean }).__reportReady === true,
      );
      const stamp = await page.locator('.report-head .meta').first().innerText();
      // 生成于 2026/12/6 22:50:01, in the report's zone (Asia/Shanghai: UTC+8, no summer time).
      const m = /生成于\s*(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})/.exec(stamp);
      expect(m, stamp).not.toBeNull();
      const [, y, mo, d, hh, mi, ss] = m!.map(Number) as number[];
      const at = Date.UTC(y!, mo! - 1, d!, hh! - 8, mi!, ss!);
      expect(report.timezone).toBe('Asia/Shanghai');
      expect(
        Math.abs(at - asked),
        `${stamp} against the service's ${new Date(asked).toISOString()}`,
      ).toBeLessThan(120_000);
    } finally {
      await printer.close();
    }
  }, 60_000);
});

describe('notices over the API and Socket.IO', () => {
  it('POST → notice:new on the desk → receipt → GET shows each node’s receipt time or none', async () => {
    const northDesk = await svc.login('north-desk', 'operator', 'north');
    const desk: Socket = io(`${svc.httpUrl}/ops`, { auth: { token: southDesk }, transports: ['websocket'] });
    const other: Socket = io(`${svc.httpUrl}/ops`, { auth: { token: northDesk }, transports: ['websocket'] });
    try {
      await Promise.all([desk, other].map((s) => new Promise<void>((r) => s.once('connect', () => r()))));
      const heardByNorth: unknown[] = [];
      other.on('notice:new', (n) => heardByNorth.push(n));
      const popped = new Promise<{ id: string; text: string }>((r) => desk.once('notice:new', r));
      const sent = await fetch(`${svc.httpUrl}/api/notices`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          to: ['south', 'north-grid-1'],
          text: '请各单位今晚 22 点前上报值班表',
          receiptMinutes: 5,
        }),
      });
      expect(sent.status).toBe(201);
      const { id } = await sent.json();
      expect(await popped).toMatchObject({ id, text: '请各单位今晚 22 点前上报值班表' });

      const receipt = await fetch(`${svc.httpUrl}/api/notices/${id}/receipt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${southDesk}` },
      });
      expect(receipt.status).toBe(200);
      const got = await (await get(`/api/notices/${id}`, admin)).json();
      expect(
        got.targets.map((t: { node: string; receivedAt: string | null }) => [t.node, t.receivedAt !== null]),
      ).toEqual([
        ['north-grid-1', false],
        ['south', true],
      ]);
      // Not sent to north: its desk neither heard it nor may confirm it.
      expect(heardByNorth).toEqual([]);
      const refused = await fetch(`${svc.httpUrl}/api/notices/${id}/receipt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${northDesk}` },
      });
      expect(refused.status).toBe(404);
    } finally {
      desk.close();
      other.close();
    }
  });

  it.each([
    [{ to: [], text: 'x' }, 400],
    [{ to: ['south'], text: '' }, 400],
    [{ to: ['south'], text: 'x', receiptMinutes: 0 }, 400],
    [{ to: ['south'], text: 'x', extra: 1 }, 400],
    [{ to: ['mars'], text: 'x' }, 404],
  ])('refuses %j with %i', async (body, status) => {
    const res = await fetch(`${svc.httpUrl}/api/notices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toMatch(/bad_request|not_found/);
  });

  it('an operator may not send notices', async () => {
    const res = await fetch(`${svc.httpUrl}/api/notices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${southDesk}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: ['south'], text: 'x' }),
    });
    expect(res.status).toBe(403);
  });
});
