import type { RatingsConfig } from '../config/sections/ratings.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { addMonths, monthsBetween } from '../reports/local-time.js';
import { SingleFlight } from '../util/single-flight.js';
import { rulesHash } from './rating-rules.js';
import type { RatingService } from './rating-service.js';
import type { RatingStore } from './rating-store.js';

/**
 * Rates each month once it is over (issue 19). Keeps no timer for the month's end: every check
 * derives which finished months are missing from the stored history and rates them in order (each
 * month's consecutive-month flags read the month before), so a service that was down over a month's
 * end rates it at start, and two nodes rate a month once (rating_months' key).
 */
export class RatingMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private readonly flight = new SingleFlight(
    () => this.run(),
    (err): string[] => {
      this.deps.log.error({ err }, 'ratings: month-end rating failed; retrying on the next check');
      return [];
    },
  );
  private readonly rated;

  constructor(
    private readonly deps: {
      service: RatingService;
      store: RatingStore;
      config: RatingsConfig;
      log: Logger;
      metrics: Metrics;
      /** False while the reporting tables are still being filled: a month rated then would be wrong. */
      ready: () => boolean;
      now?: () => Date;
    },
  ) {
    this.rated = deps.metrics.counter('sharpeyes_rating_months_total', 'Months rated and stored');
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.config.checkSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flight.settled();
  }

  /** Rates every finished month not stored yet; returns them. Overlapping calls share one run. */
  check(): Promise<string[]> {
    return this.flight.run();
  }

  private async run(): Promise<string[]> {
    const { service, store, config, log } = this.deps;
    if (!this.deps.ready()) return [];
    const last = addMonths(service.currentMonth(), -1);
    const latest = await store.latestMonth();
    const first = latest ? addMonths(latest, 1) : addMonths(last, 1 - Math.max(1, config.backfillMonths));
    const done: string[] = [];
    for (const month of monthsBetween(first, last)) {
      const ratings = await service.compute(month, 'bulk');
      const stored = await store.storeMonth(
        month,
        {
          timezone: config.timezone,
          rulesHash: rulesHash(config),
          computedAt: (this.deps.now?.() ?? new Date()).toISOString(),
        },
        ratings,
      );
      if (!stored) continue;
      done.push(month);
      this.rated.inc();
      const count = (c: string) => ratings.filter((r) => r.rating === c).length;
      log.info(
        {
          month,
          sites: ratings.length,
          red: count('red'),
          yellow: count('yellow'),
          flagged: ratings.filter((r) => r.flagged).length,
        },
        'ratings: month rated',
      );
    }
    if (done.length > 0) service.invalidate();
    return done;
  }
}
