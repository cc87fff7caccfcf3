import type { Bus } from '../bus.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CoreRepository } from './core-repository.js';
import { dueSteps, type EscalationConfig, stepsFor } from './escalation-policy.js';
import type { EventCore } from './event-core.js';
import type { Escalation, Priority } from './incident-types.js';
import type { JurisdictionTree } from './jurisdictions.js';

/** A step taken more than this after it fell due was not taken by a running maintainer's checks. */
const LATE_SECONDS = 60;

export interface EscalationMaintainerDeps {
  repo: CoreRepository;
  core: EventCore;
  bus: Bus;
  tree: JurisdictionTree;
  config: EscalationConfig;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}

/**
 * Re-announces and escalates incidents nobody acknowledged. It keeps no timers per incident: every
 * check derives the due steps from the stored opening time and the stored steps, and records a step
 * with an insert that succeeds once. So a restart in the middle neither loses a step (it is due
 * and not recorded) nor repeats one (it is recorded), and two service nodes cannot double it.
 */
export class EscalationMaintainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly now: () => number;
  private readonly escalated;

  constructor(private readonly deps: EscalationMaintainerDeps) {
    this.now = deps.now ?? Date.now;
    this.escalated = deps.metrics.counter('sharpeyes_escalations_total', 'Escalation steps taken', [
      'priority',
      'kind',
    ]);
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.config.checkSeconds * 1000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Takes every due step once; returns how many were taken. Overlapping calls share one run. */
  check(): Promise<number> {
    if (!this.running) {
      this.running = this.run()
        .catch((err: unknown) => {
          this.deps.log.error({ err }, 'core: escalation check failed; retrying on the next tick');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  private async run(): Promise<number> {
    const { repo, core, tree, config, log } = this.deps;
    const now = this.now();
    let taken = 0;
    const priorities = ([1, 2, 3, 4] as const).filter((p) => stepsFor(config, p).length > 0);
    for (const pending of await repo.unacknowledged(priorities)) {
      for (const due of dueSteps(tree, config, pending, now)) {
        const at = new Date(now).toISOString();
        // Taken now, due when the policy says: after a stop longer than the steps, every overdue step
        // is taken at the restart, and its due time is what tells the history when it should have been.
        const esc: Escalation = {
          step: due.step,
          kind: due.kind,
          jurisdiction: due.jurisdiction,
          at,
          dueAt: new Date(due.dueAt).toISOString(),
        };
        // The step and its announcement commit together (one decision, one transaction).
        if (!(await core.escalate(pending.id, esc))) continue;
        taken++;
        this.escalated.inc({ priority: String(pending.priority as Priority), kind: due.kind });
        const lateSeconds = Math.round((now - due.dueAt) / 1000);
        log.warn(
          {
            incident: pending.id,
            step: due.step,
            kind: due.kind,
            jurisdiction: due.jurisdiction,
            dueAt: esc.dueAt,
            ...(lateSeconds > LATE_SECONDS ? { lateSeconds } : {}),
          },
          lateSeconds > LATE_SECONDS
            ? `core: incident not acknowledged; escalating ${lateSeconds} s after the step fell due (no check ran then: the service was stopped, or the database did not answer)`
            : 'core: incident not acknowledged; escalating',
        );
      }
    }
    return taken;
  }
}
