import type { Browser } from 'playwright-core';
import { SharpeyesError } from '../errors.js';
import type { Logger } from '../log.js';
import { withoutFaketime } from '../util/without-faketime.js';
import type { MonthlyReport } from './monthly-report.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** A render that has not finished by then is abandoned (a wedged browser must not hold a request). */
const RENDER_TIMEOUT_MS = 60_000;

/**
 * The monthly report as PDF: headless Chromium prints the same page the console shows
 * (web/report.html). The report's data is handed to the page before its scripts run, so the browser
 * needs no session token (nothing secret in a URL) and reads nothing the user could not. One render
 * at a time; the browser is started on first use and kept until the service stops.
 */
export class ReportPdf {
  private browser: Promise<Browser> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      /** Base URL of this service (the page and Chart.js are served from it). */
      baseUrl: () => string;
      log: Logger;
      executablePath?: string;
    },
  ) {}

  render(report: MonthlyReport, lang: 'zh' | 'en'): Promise<Buffer> {
    const job = this.queue.then(() => this.renderOne(report, lang));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private launch(): Promise<Browser> {
    // Loaded on first use: playwright-core costs about a second of CPU at start, and most services
    // never print a report.
    this.browser ??= import('playwright-core')
      .then(({ chromium }) =>
        chromium.launch({
          executablePath: this.deps.executablePath ?? '/usr/bin/chromium',
          headless: true,
          args: CHROMIUM_ARGS,
          env: withoutFaketime(),
        }),
      )
      .then((b) => {
        b.on('disconnected', () => {
          this.browser = undefined;
        });
        return b;
      });
    this.browser.catch(() => {
      this.browser = undefined;
    });
    return this.browser;
  }

  private async renderOne(report: MonthlyReport, lang: 'zh' | 'en'): Promise<Buffer> {
    let browser: Browser;
    try {
      browser = await this.launch();
    } catch (err) {
      throw new SharpeyesError(
        'reports',
        'Chromium could not be started for the PDF (is /usr/bin/chromium installed?)',
        {},
        { cause: err },
      );
    }
    // The page shows its browser's time (the escalations' and notices' times, when it was made): the
    // city's, not that of the machine printing it, which is often UTC (8 hours off in Shanghai).
    const context = await browser.newContext({
      locale: lang === 'zh' ? 'zh-CN' : 'en-US',
      timezoneId: report.timezone,
    });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(RENDER_TIMEOUT_MS);
      await page.addInitScript(
        ([data, l]) => {
          const w = window as unknown as Record<string, unknown>;
          w['__REPORT__'] = data;
          w['__REPORT_LANG__'] = l;
        },
        [report, lang] as const,
      );
      const url = new URL('/report.html', this.deps.baseUrl());
      url.searchParams.set('node', report.node.id);
      url.searchParams.set('month', report.month);
      url.searchParams.set('print', '1');
      await page.goto(url.toString(), { waitUntil: 'load' });
      await page.waitForFunction(
        () => (window as unknown as { __reportReady?: boolean }).__reportReady === true,
      );
      return await page.pdf({
        format: 'A4',
        printBackground: true,
        margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
      });
    } finally {
      await context
        .close()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'reports: PDF page not closed'));
    }
  }

  async close(): Promise<void> {
    const b = this.browser;
    this.browser = undefined;
    if (!b) return;
    try {
      await (await b).close();
    } catch (err) {
      // It never started or already died: nothing left to close.
      this.deps.log.debug({ err }, 'reports: PDF browser was not running');
    }
  }
}
