import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { MonthlyReport } from '../../src/reports/monthly-report.js';
import { ReportPdf } from '../../src/reports/report-pdf.js';

/**
 * A stand-in for web/report.html that tells the test what its browser sees (zone, clock, the
 * report it was handed), then says it is ready to print.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><p>report</p><script>
const r = window.__REPORT__;
const seen = {
  zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  local: new Date(r.openedAt).toLocaleString('sv-SE'),
  timezone: r.timezone,
};
fetch('/seen', { method: 'POST', body: JSON.stringify(seen) }).then(() => { window.__reportReady = true; });
</script>`;

describe('the PDF of a monthly report', () => {
  let server: Server;
  let pdf: ReportPdf;
  const seen: Record<string, string>[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/report.html')) {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(PAGE);
        return;
      }
      if (req.method !== 'POST' || req.url !== '/seen') {
        // The favicon and anything else the browser asks for.
        res.statusCode = 404;
        res.end();
        return;
      }
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    pdf = new ReportPdf({ baseUrl: () => `http://127.0.0.1:${port}`, log: silentLogger });
  });
  afterAll(async () => {
    await pdf?.close();
    await new Promise((r) => server?.close(r));
  });

  // The service's machine is often in UTC; the report's times are the city's (ratings.timezone).
  it.each([
    ['Asia/Shanghai', '2026-11-01 00:30:00'],
    ['Asia/Urumqi', '2026-10-31 22:30:00'],
  ])(
    'is printed in the report’s zone (%s), not the zone of the machine printing it',
    async (zone, local) => {
      const report = {
        node: { id: 'city', name: '市局' },
        month: '2026-10',
        timezone: zone,
        openedAt: '2026-10-31T16:30:00Z',
      } as unknown as MonthlyReport;
      const bytes = await pdf.render(report, 'zh');
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      expect(seen.at(-1)).toEqual({ zone, local, timezone: zone });
    },
    60_000,
  );
});
