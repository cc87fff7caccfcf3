import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { MinuteSample } from '../../src/health/system-history.js';
import { underFaketime, withoutFaketime } from '../../src/util/without-faketime.js';
import type { Storm } from '../../src/workflow/storm/storm-store.js';
import { api, type TestService } from '../helpers/service.js';

export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');
export const CITY_YAML = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
  'utf8',
);

export const HALL = { width: 1920, height: 1080 };
export const LAPTOP = { width: 1366, height: 768 };

/** The city's zone, which the duty officers' desk PCs are set to. */
export const OFFICERS_TIME_ZONE = 'Asia/Shanghai';

/** The date of an instant as the desks in the city read it: "2026/12/8". */
export const cityDay = (iso: string): string =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: OFFICERS_TIME_ZONE,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).format(new Date(iso));

/** The date before a time when it is not today on the city's clock ("2026/12/8 "), else nothing. */
export const cityOnDay = (iso: string): string =>
  cityDay(iso) === cityDay(new Date().toISOString()) ? '' : `${cityDay(iso)} `;

/** A healthy minute of 系统状态's history, as the system tests write their rows. */
export const OK_MINUTE: MinuteSample = {
  committed: 3,
  waitP50Ms: 0.8,
  waitP99Ms: 2.4,
  waitMaxMs: 3.1,
  sinksFailing: 0,
  sinksBehind: 0,
  sinksBehindSeconds: 0,
  loopP99Ms: 0.3,
  loopMaxMs: 6,
  panels: { panels: 3, online: 3 },
};

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Headless Debian Chromium (`npx playwright install` cannot download here), whose contexts (also
 * those `browser.newPage` makes) are as on a duty officer's desk: in Asia/Shanghai unless a test
 * names another `timezoneId`. The console shows the city's zone (`GET /api/me` `zones`, Asia/Shanghai
 * by default) whatever the desk's; a desk in Shanghai still keeps the tests honest where a page takes
 * "today" from UTC (`toISOString().slice(0, 10)`), the mistake officers would see from 00:00 to
 * 08:00 Shanghai time. test/web/console-zone.test.ts runs desks in other zones.
 *
 * Under `npm run test:at` (libfaketime moves this process's wall clock) Chromium starts without
 * libfaketime (it hangs under it) and every page's clock is moved by the same amount, so that the
 * page and the service see the same instant, with time flowing and the page's timers real.
 */
export async function launchChromium(opts: { args?: string[] } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    env: withoutFaketime(),
  });
  const shiftMs = underFaketime() ? await clockShift(browser) : 0;
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options?: BrowserContextOptions): Promise<BrowserContext> => {
    const context = await newContext({ timezoneId: OFFICERS_TIME_ZONE, ...options });
    if (shiftMs !== 0) await context.addInitScript(moveClock, shiftMs);
    return context;
  };
  return browser;
}

/** How far this process's clock is ahead of the browser's (the real one). */
async function clockShift(browser: Browser): Promise<number> {
  const page = await browser.newPage();
  try {
    const before = Date.now();
    const theirs = await page.evaluate(() => Date.now());
    return Math.round((before + Date.now()) / 2 - theirs);
  } finally {
    await page.close();
  }
}

/**
 * Runs in the page before its scripts: `Date`, `Date.now`, `Intl.DateTimeFormat#format()` and
 * `Temporal.Now` read the page's clock plus `shiftMs` (`context.addInitScript(moveClock, ms)` moves
 * a context's pages to another instant, on top of `npm run test:at`'s move). Not Playwright's
 * `context.clock`: it stamps what it records with the test process's (moved) `Date.now()` and each
 * new page replays that against the browser's real one, so a page opened later starts at the instant
 * the clock was installed (minutes stale), or at the real time for an instant in the past; and it
 * replaces every timer of the page.
 */
export function moveClock(shiftMs: number): void {
  const RealDate = Date;
  const now = () => RealDate.now() + shiftMs;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      Reflect.construct(target, args.length ? args : [now()], newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver)),
  });
  const proto = Intl.DateTimeFormat.prototype;
  const format = Object.getOwnPropertyDescriptor(proto, 'format')?.get;
  if (format)
    Object.defineProperty(proto, 'format', {
      configurable: true,
      get() {
        const f = format.call(this) as (d?: Date | number) => string;
        return (d?: Date | number) => f(d === undefined ? now() : d);
      },
    });
  const formatToParts = proto.formatToParts;
  proto.formatToParts = function (this: Intl.DateTimeFormat, d?: Date | number) {
    return formatToParts.call(this, d === undefined ? now() : d);
  };
  // biome-ignore lint/suspicious/noExplicitAny: Temporal is not in this TypeScript's lib.
  const temporal = (globalThis as any).Temporal;
  if (temporal?.Now) {
    const instant = () => temporal.Instant.fromEpochMilliseconds(now());
    const zoned = (tz?: string) => instant().toZonedDateTimeISO(tz ?? temporal.Now.timeZoneId());
    Object.assign(temporal.Now, {
      instant,
      zonedDateTimeISO: zoned,
      plainDateTimeISO: (tz?: string) => zoned(tz).toPlainDateTime(),
      plainDateISO: (tz?: string) => zoned(tz).toPlainDate(),
      plainTimeISO: (tz?: string) => zoned(tz).toPlainTime(),
    });
  }
}

/** The console city's shop panel (`panel-1`), connected, with one panic the service has received. */
export async function shopWithPanic(svc: TestService): Promise<PanelSimulator> {
  const shop = new PanelSimulator({
    url: svc.mqttUrl,
    id: 'panel-1',
    secret: 'secret-panel-1',
    heartbeatSeconds: 10,
  });
  await shop.connect();
  await shop.waitForAck(await shop.send('panic', { zone: '1' }), 'received');
  return shop;
}

/**
 * A supervisor (`token`) starts the storm the console's tests read: the north district's power cut
 * (北城区域停电), its troubles and unconfirmed intrusions held for an hour.
 */
export async function northOutageStorm(svc: TestService, token: string): Promise<Storm> {
  const storm = await api<Storm>(`${svc.httpUrl}/api/storms`, token, {
    method: 'POST',
    body: JSON.stringify({
      node: 'north',
      categories: ['trouble', 'unconfirmed_intrusion'],
      action: 'hold',
      minutes: 60,
      reason: '北城区域停电',
    }),
  });
  expect(storm.status).toBe(201);
  return storm.body;
}

/**
 * Creates a user directly in the store (no login attempt is spent) with password `pw-<name>-123`
 * and, when given, the display name the console shows for them.
 */
export async function addUser(
  svc: TestService,
  username: string,
  role: string,
  scope: string,
  displayName?: string,
): Promise<string> {
  const password = `pw-${username}-123`;
  if (!(await svc.svc.need('store').users.findByUsername(username))) {
    await svc.svc.need('auth').createUser({
      username,
      password,
      role: role as 'operator',
      scope,
      ...(displayName ? { displayName } : {}),
    });
  }
  return password;
}

export async function loginInPage(
  page: Page,
  url: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(url);
  await page.locator('#login input[name=username]').fill(username);
  await page.locator('#login input[name=password]').fill(password);
  await page.locator('#login button[type=submit]').click();
  await page.locator('#topbar').waitFor({ state: 'visible' });
  await page.locator('#view[data-view]').waitFor();
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Let fonts and the SVG settle; the file is for people to look at, not an assertion.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Bounding boxes of the fixed regions of the queue, to prove an arriving alarm moves none of them. */
export async function queueLayout(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => {
    const out: Record<string, unknown> = {};
    for (const sel of [
      '#topbar',
      '#alarm-strip',
      '.queue-head',
      '#queue-list',
      '#queue-side',
      '.queue-foot',
    ]) {
      const r = document.querySelector(sel)?.getBoundingClientRect();
      out[sel] = r ? [r.x, r.y, r.width, r.height] : null;
    }
    return out;
  });
}

/** Every id of the console city a person should never read (they read names). */
export const CITY_IDS = [
  'north-grid-1',
  'north-grid-2',
  'south-grid-1',
  'shop-1',
  'bank-2',
  'school-3',
  'pharmacy-4',
  'market-5',
  'panel-1',
  'panel-2',
  'panel-3',
  'car-n1',
  'team-s1',
  'life-safety-p1',
  'intrusion-unconfirmed',
  'trouble-ticket',
  'restore-closes-ticket',
  'join-open-alarm',
  'sequential-confirmation',
  'patrol_car',
  'station_team',
  'communication_lost',
  'ac_loss',
];

/** Latin text allowed on the Chinese console: the product, the language switch, usernames, case numbers, keys, units. */
const ALLOWED_LATIN = [
  /Sharpeyes/g,
  /English/g,
  /\b(op|owner|sup|inv|admin)-[a-z0-9-]+/g,
  /INC-\d{8}-[0-9A-F]{8}/g,
  /SHA-256/g,
  /\bEnter\b/g,
  /\bEsc\b/g,
  /\bJPEG\b/g,
];

export interface TextProblems {
  rawIds: string[];
  english: string[];
}

/** The visible text (and placeholders, titles) of the page checked for raw ids and, in Chinese, English. */
export async function textProblems(
  page: Page,
  opts: { chinese: boolean; ids?: string[] },
): Promise<TextProblems> {
  const text = await page.evaluate(() => {
    // What the user typed, shown back as typed (a mistyped address), is not the console's text.
    let body = document.body.innerText;
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-verbatim]')))
      if (el.innerText) body = body.replace(el.innerText, ' ');
    const parts = [body, document.title];
    for (const el of Array.from(
      document.querySelectorAll<HTMLElement>('[placeholder], [title], [aria-label]'),
    )) {
      if (el.offsetParent === null) continue;
      parts.push(
        el.getAttribute('placeholder') ?? '',
        el.getAttribute('title') ?? '',
        el.getAttribute('aria-label') ?? '',
      );
    }
    return parts.join('\n');
  });
  const ids = opts.ids ?? CITY_IDS;
  const rawIds = ids.filter((id) =>
    new RegExp(`(^|[^A-Za-z0-9_-])${id.replace(/[-_]/g, '[-_]')}($|[^A-Za-z0-9_-])`).test(text),
  );
  let latin = text;
  for (const re of ALLOWED_LATIN) latin = latin.replace(re, ' ');
  const english = opts.chinese ? [...new Set(latin.match(/[A-Za-z]{3,}/g) ?? [])] : [];
  return { rawIds, english };
}

/**
 * The texts of `cells` that run over more than one line. A flex item or a cell is one box however its
 * text wraps: the lines of its text are counted instead.
 */
export async function wrappedTexts(cells: Locator): Promise<(string | null)[]> {
  return cells.evaluateAll((els) =>
    els
      .filter((el) => {
        const text = document.createRange();
        text.selectNodeContents(el);
        return new Set(Array.from(text.getClientRects(), (r) => Math.round(r.top))).size > 1;
      })
      .map((el) => el.textContent),
  );
}

/**
 * What does not fit: horizontal scrolling of the page, and elements that reach past the window's
 * right or bottom edge without a scrolling box between them and the page (so they are cut off).
 */
export async function overflowProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    if (document.documentElement.scrollWidth > vw + 1)
      out.push(`page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
    const scrolls = (el: Element) => {
      const s = getComputedStyle(el);
      return (
        /(auto|scroll)/.test(s.overflowY + s.overflowX) &&
        el !== document.body &&
        el !== document.documentElement
      );
    };
    /**
     * Whether the part of `el` outside its clipping boxes is lost: it is not when a scrolling box lies
     * between (the user scrolls to it) or when the clipping is the ellipsis of a line of text.
     */
    const cut = (el: Element, r: DOMRect): boolean => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        if (scrolls(p)) return false;
        const s = getComputedStyle(p);
        if (
          /(hidden|clip)/.test(s.overflowX + s.overflowY) &&
          p !== document.body &&
          p !== document.documentElement
        ) {
          if (s.textOverflow === 'ellipsis') return false;
          const b = p.getBoundingClientRect();
          if (r.right > b.right + 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1) return true;
        }
      }
      return r.right > vw + 1 || r.bottom > vh + 1;
    };
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (
        getComputedStyle(el).visibility === 'hidden' ||
        (el as HTMLElement).closest('[hidden], .leaflet-container, video, .video-box, .live-tile')
      )
        continue;
      if (cut(el, r)) {
        const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
        out.push(`${name} reaches ${Math.round(r.right)}×${Math.round(r.bottom)}`);
      }
    }
    return [...new Set(out)].slice(0, 20);
  });
}
