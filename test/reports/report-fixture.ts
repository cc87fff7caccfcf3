import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { Directory } from '../../src/core/directory.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { RatingService } from '../../src/ratings/rating-service.js';
import { RatingStore } from '../../src/ratings/rating-store.js';
import { FactsBackfill, syncConfig } from '../../src/reports/facts-backfill.js';
import { FactsProjector } from '../../src/reports/facts-projector.js';
import { FactsStore } from '../../src/reports/facts-store.js';
import type { ReportDeps } from '../../src/reports/monthly-report.js';
import {
  PoolReportRunner,
  type ReportExecutor,
  WorkerReportRunner,
} from '../../src/reports/report-runner.js';
import '../../src/reports/report-tables.js';
import { vi } from 'vitest';
import type { RatingsParams } from '../../src/reports/report-ops.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase } from '../helpers/postgres.js';

/** A city of two stations; `bank-3` joins the configuration later (a site added mid-month). */
export const REPORT_CITY = (withBank3: boolean) => `
jurisdictions:
  - id: city
    name: 市110指挥中心
    children:
      - id: north
        name: 北城派出所
        kind: station
        children: [{ id: north-grid-1, name: 北城一网格 }]
      - id: south
        name: 南城派出所
        kind: station
sites:
  - { id: shop-1, name: 金水便利店, jurisdiction: north-grid-1, kind: shop, location: { lat: 34.75, lon: 113.66 } }
  - { id: school-2, name: 南城小学, jurisdiction: south, kind: school, location: { lat: 34.74, lon: 113.65 } }
${withBank3 ? '  - { id: bank-3, name: 南城银行, jurisdiction: south, kind: bank, location: { lat: 34.73, lon: 113.64 } }' : ''}
units:
  - { id: car-n1, name: 北城巡逻1车, jurisdiction: north }
  - { id: car-s1, name: 南城巡逻1车, jurisdiction: south }
ratings:
  backfillMonths: 4
`;

export interface ReportFixture {
  config: Config;
  store: Store;
  facts: FactsStore;
  projector: FactsProjector;
  runner: ReportExecutor;
  ratingStore: RatingStore;
  ratings: RatingService;
  deps: ReportDeps;
  /** Projects whatever is in the incident tables (the upgrade path). */
  project(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Real SQLite file and report worker thread (or a real PostgreSQL and the pool); the clock is `now`. The configuration is synced first
 * without bank-3 at `firstSync`, then with it at `bankAdded`.
 */
export async function reportFixture(opts: {
  now: string;
  firstSync: string;
  bankAdded: string;
  /** SQLite (a worker thread on its own read-only connection) or PostgreSQL (the pool). */
  dialect?: 'sqlite' | 'postgres';
}): Promise<ReportFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-reports-'));
  const file = join(dir, 'sharpeyes.db');
  const store: Store =
    opts.dialect === 'postgres'
      ? await openPostgresStore(await freshPostgresDatabase())
      : new SqliteStore(file);
  const config = parseConfig(REPORT_CITY(true), 'report-city.yaml');
  const facts = new FactsStore(store.k, store.dialect);
  await syncConfig(
    facts,
    new Directory(parseConfig(REPORT_CITY(false), 'x.yaml')),
    Date.parse(opts.firstSync),
  );
  const directory = new Directory(config);
  await syncConfig(facts, directory, Date.parse(opts.bankAdded));
  const tz = config.ratings.timezone;
  const now = () => new Date(opts.now);
  const projector = new FactsProjector({ store: facts, dir: directory, tz, log: silentLogger, now });
  const metrics = new Metrics({ defaults: false });
  const runner: ReportExecutor =
    store.dialect === 'postgres'
      ? new PoolReportRunner({ k: store.k, metrics })
      : new WorkerReportRunner({ file, log: silentLogger, metrics });
  const ratingStore = new RatingStore(store.k);
  const ratings = new RatingService({ runner, store: ratingStore, config: config.ratings, now });
  const deps: ReportDeps = {
    runner,
    ratings,
    dir: directory,
    units: config.units,
    timezone: tz,
    complete: () => true,
    now,
  };
  return {
    config,
    store,
    facts,
    projector,
    runner,
    ratingStore,
    ratings,
    deps,
    project: () => new FactsBackfill({ store: facts, projector, tz, log: silentLogger }).run(),
    async close() {
      await runner.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The sites each ratings query asks the (real) report worker for, `undefined` for the whole month,
 * until `restore`; with `failSites`, a query for some sites alone fails as a worker gone would.
 */
export function ratingsAsked(
  runner: ReportExecutor,
  opts: { failSites?: boolean } = {},
): { calls: (string | undefined)[]; restore: () => void } {
  const calls: (string | undefined)[] = [];
  const run = runner.run.bind(runner);
  const spy = vi.spyOn(runner, 'run').mockImplementation((op, params, o) => {
    const sites = op === 'ratings' ? (params as RatingsParams).sites : undefined;
    if (op === 'ratings') calls.push(sites?.join(','));
    if (sites && opts.failSites) return Promise.reject(new Error('report worker gone'));
    return run(op, params, o);
  });
  return { calls, restore: () => spy.mockRestore() };
}
