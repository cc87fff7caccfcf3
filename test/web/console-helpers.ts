import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestService } from '../helpers/service.js';

export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');
export const CITY_YAML = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'web', 'console-city.yaml'),
  'utf8',
);

export const HALL = { width: 1920, height: 1080 };
export const LAPTOP = { width: 1366, height: 768 };

/** Headless Debian Chromium; `npx playwright install` cannot download here. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Creates a user directly in the store (no login attempt is spent) with password `pw-<name>-123`. */
export async function addUser(
  svc: TestService,
  username: string,
  role: string,
  scope: string,
): Promise<string> {
  const password = `pw-${username}-123`;
  if (!(await svc.svc.need('store').users.findByUsername(username))) {
    await svc.svc.need('auth').createUser({ username, password, role: role as 'operator', scope });
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
