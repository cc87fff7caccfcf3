import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express from 'express';
import { reportRoutes } from '../api/reports-routes.js';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import { RatingMaintainer } from '../ratings/rating-maintainer.js';
import { RatingService } from '../ratings/rating-service.js';
import { RatingStore } from '../ratings/rating-store.js';
import type { Module, Service } from '../service.js';
import { FactsBackfill, syncConfig } from './facts-backfill.js';
import { FactsProjector, reportsSink } from './facts-projector.js';
import { FactsStore } from './facts-store.js';
import type { ReportDeps } from './monthly-report.js';
import { ReportPdf } from './report-pdf.js';
import { PoolReportRunner, type ReportExecutor, WorkerReportRunner } from './report-runner.js';
import './report-tables.js';

const CHART_JS_DIST = dirname(createRequire(import.meta.url).resolve('chart.js'));

/**
 * Issue 19 (supervision figures and ratings) and the report half of issue 13: the reporting tables
 * kept by an outbox sink, history projected once in the background, report queries off the alarm
 * path (SQLite: a worker thread with its own read-only connection; PostgreSQL: the pool), monthly
 * ratings stored at each month's end, and the report API. Publishes `reports` (ReportDeps) and
 * `ratings` (RatingService) for the site routes and the notices module.
 */
export function reportsModule(): Module {
  const undo: (() => Promise<void> | void)[] = [];
  return {
    name: 'reports',
    async start(svc: Service) {
      const store = svc.need('store');
      const dir = svc.need('dir');
      const cfg = svc.config.ratings;
      const facts = new FactsStore(store.k, store.dialect);
      await syncConfig(facts, dir, Date.now());
      const projector = new FactsProjector({ store: facts, dir, tz: cfg.timezone, log: svc.log });
      const dispatcher = svc.part<OutboxDispatcher>('outbox.dispatcher');
      const outbox = svc.need('outbox');
      // Read-your-writes: a report on a period still running waits (up to 2 s) for the sink to
      // have projected what was committed before it was asked for. The sink rests half a second
      // between batches (a burst of alarms, one refresh); whoever waits for it ends the rest.
      const settle = async () => {
        const tail = await outbox.tail();
        const deadline = Date.now() + 2000;
        if ((dispatcher.positions()['reports'] ?? tail) < tail) dispatcher.hurry('reports');
        while ((dispatcher.positions()['reports'] ?? tail) < tail && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
      };
      let ratings: RatingService | undefined;
      // The running month's ratings are kept, and the sites whose figures change computed again.
      await dispatcher.add(reportsSink(projector, (sites) => ratings?.touched(sites)));

      const runner: ReportExecutor =
        store.dialect === 'postgres'
          ? new PoolReportRunner({ k: store.k, metrics: svc.metrics })
          : new WorkerReportRunner({
              file: join(svc.config.storage.dataDir, 'sharpeyes.db'),
              log: svc.log,
              metrics: svc.metrics,
            });
      undo.push(() => runner.close());

      const backfill = new FactsBackfill({ store: facts, projector, tz: cfg.timezone, log: svc.log });
      const filling = backfill.run().catch((err: unknown) => {
        // Reports say `complete: false` until a restart finishes it; the alarm path is unaffected.
        svc.log.error({ err }, 'reports: projecting history failed; reports are incomplete until a restart');
        return 0;
      });
      undo.push(async () => {
        backfill.stop();
        await filling;
      });

      const ratingStore = new RatingStore(store.k);
      ratings = new RatingService({ runner, store: ratingStore, config: cfg, settle });
      const maintainer = new RatingMaintainer({
        service: ratings,
        store: ratingStore,
        config: cfg,
        log: svc.log,
        metrics: svc.metrics,
        ready: () => backfill.done,
      });
      // The first check waits for the history: a month rated from half-projected tables would be wrong.
      void filling.then(() => maintainer.start());
      undo.push(() => maintainer.stop());

      const report: ReportDeps = {
        runner,
        ratings,
        dir,
        units: svc.config.units,
        timezone: cfg.timezone,
        complete: () => backfill.done,
        settle,
      };
      // Chromium reads the page over loopback, not through a public URL it may not reach.
      const host = ['0.0.0.0', '::'].includes(svc.config.http.host) ? '127.0.0.1' : svc.config.http.host;
      const pdf = new ReportPdf({
        baseUrl: () =>
          `http://${host.includes(':') ? `[${host}]` : host}:${String(svc.parts.get('httpPort'))}`,
        log: svc.log,
      });
      undo.push(() => pdf.close());
      svc.parts.set('reports', report);
      svc.parts.set('ratings', ratings);
      svc.parts.set('reports.backfill', backfill);
      svc.parts.set('ratings.maintainer', maintainer);
      const app = svc.need('app');
      app.use(reportRoutes(svc, { report, ratings, pdf }));
      // Chart.js for the report page, from node_modules (the console has no build step).
      app.use('/vendor/chart.js', express.static(CHART_JS_DIST, { maxAge: '1d', index: false }));
    },
    async stop() {
      for (const fn of undo.splice(0).reverse()) await fn();
    },
  };
}
