import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { SingleFlight } from '../util/single-flight.js';
import type { NoticeEmit } from './notice-service.js';
import type { NoticeStore } from './notice-store.js';

/**
 * Reminds the nodes that have not confirmed a notice by its receipt time, and lists city-wide those
 * still silent at the listing time (issue 19). Holds no timer per notice: each check reads the targets
 * whose stored `next_due_ms` has passed, so a restart (or a check that was late) does what is due.
 */
export class NoticeMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private readonly flight = new SingleFlight(
    () => this.run(),
    (err) => this.deps.log.error({ err }, 'notices: reminder check failed; retrying on the next check'),
  );
  private readonly reminders;
  private readonly listings;

  constructor(
    private readonly deps: {
      store: NoticeStore;
      emit: NoticeEmit;
      /** Rooms that see the city-wide list of the silent: the roots of the tree. */
      cityNodes: readonly string[];
      nodeName: (id: string) => string;
      checkSeconds: number;
      log: Logger;
      metrics: Metrics;
      now?: () => number;
    },
  ) {
    this.reminders = deps.metrics.counter(
      'sharpeyes_notice_reminders_total',
      'Reminders sent to nodes silent on a notice',
    );
    this.listings = deps.metrics.counter(
      'sharpeyes_notice_silent_listed_total',
      'Nodes listed city-wide as silent on a notice',
    );
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.checkSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flight.settled();
  }

  /** Does what is due now; overlapping calls share one run. */
  check(): Promise<void> {
    return this.flight.run();
  }

  private async run(): Promise<void> {
    const { store, emit, log } = this.deps;
    const now = this.deps.now?.() ?? Date.now();
    for (const t of await store.due(now)) {
      // A check that comes late (the service was down) reminds and lists in one go.
      if (t.remindedMs === null && t.remindDueMs <= now) {
        if (await store.markReminded(t.noticeId, t.node, now, t.listDueMs)) {
          this.reminders.inc();
          const n = await store.get(t.noticeId);
          emit(t.node, 'notice:reminder', {
            notice: t.noticeId,
            node: t.node,
            text: n?.text ?? '',
            sentAt: n ? new Date(n.sentMs).toISOString() : null,
            receiptMinutes: n?.receiptMinutes ?? null,
          });
          log.info({ notice: t.noticeId, node: t.node }, 'notices: reminder sent');
        }
      }
      if (t.listDueMs <= now && (await store.markListed(t.noticeId, t.node, now))) {
        this.listings.inc();
        const entry = {
          notice: t.noticeId,
          node: t.node,
          name: this.deps.nodeName(t.node),
          listedAt: new Date(now).toISOString(),
        };
        for (const city of this.deps.cityNodes) emit(city, 'notice:silent', entry);
        log.warn({ notice: t.noticeId, node: t.node }, 'notices: node still silent; listed city-wide');
      }
    }
  }
}
