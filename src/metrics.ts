import {
  type IntervalHistogram,
  monitorEventLoopDelay,
  type Histogram as PerfHistogram,
} from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * An enabled perf_hooks monitor of the event loop, and how late a sample of it says the loop ran.
 * perf_hooks records the whole interval between its timer's runs, about `resolution` on a loop that
 * nothing holds (10.1–10.3 ms here): the delay is what exceeds it. Each reader that resets its
 * histogram on its own clock (a scrape, a minute of 系统状态's history) needs a monitor of its own.
 */
export function loopMonitor(resolutionMs = 10): {
  histogram: IntervalHistogram;
  lateMs(ns: number): number;
} {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return { histogram, lateMs: (ns) => Math.max(0, ns / 1e6 - resolutionMs) };
}

/**
 * One registry per service instance, so tests can run several services in one process.
 * Modules get their metrics from here by name; a second ask for the same name returns the same metric.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'sharpeyes_' });
      this.eventLoopDelay();
    }
  }

  /**
   * `sharpeyes_event_loop_delay_seconds{quantile}`: how long the event loop was held up since the
   * previous scrape (quantiles of perf_hooks' 10 ms samples; `quantile="1"` is the worst). Anything
   * on the loop (a sync write, a long query) delays every PUBACK by as much.
   */
  private eventLoopDelay(): void {
    const { histogram, lateMs } = loopMonitor();
    this.histogramQuantiles(
      'sharpeyes_event_loop_delay_seconds',
      'Event-loop delay since the previous scrape, quantiles of 10 ms samples (1 = the worst)',
      histogram,
      [0.5, 0.9, 0.99, 1],
      (ns) => lateMs(ns) / 1e3,
    );
  }

  /**
   * `name{quantile}` from a perf_hooks histogram of nanoseconds, read and reset at each scrape: what
   * happened since the previous one (0 when nothing was recorded; `quantile="1"` is the worst).
   */
  histogramQuantiles(
    name: string,
    help: string,
    h: PerfHistogram,
    quantiles: readonly number[],
    seconds: (ns: number) => number = (ns) => ns / 1e9,
  ): void {
    if (this.registry.getSingleMetric(name)) return;
    new Gauge({
      name,
      help,
      labelNames: ['quantile'],
      registers: [this.registry],
      collect() {
        for (const q of quantiles) {
          const ns = q === 1 ? h.max : h.percentile(q * 100);
          this.set({ quantile: String(q) }, h.count > 0 ? seconds(ns) : 0);
        }
        h.reset();
      },
    });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** With `read`, the gauge is set from it each time /metrics is scraped. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    read?: () => number,
  ): Gauge<L> {
    return this.gaugeCollected(name, help, labelNames, read && ((g) => g.set(read())));
  }

  /**
   * A gauge whose series `collect` sets each time /metrics is scraped (it may read the store: the
   * scrape waits for it).
   */
  gaugeCollected<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<L>;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      ...(collect
        ? {
            collect(this: Gauge<L>) {
              return collect(this);
            },
          }
        : {}),
    });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
