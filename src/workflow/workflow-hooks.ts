import type { IncidentChange } from '../bus.js';
import type { Config } from '../config/schema.js';
import type { CoreHooks, Diversion, GuardContext, OpenedIncident } from '../core/core-hooks.js';
import type { Directory } from '../core/directory.js';
import { isLifeSafety, type NormalizedEvent } from '../core/events.js';
import { type IncidentState, OPEN_STATES } from '../core/incident-types.js';
import { HttpError } from '../errors.js';
import type { IncidentSummary, Tx } from '../store/decision-store.js';
import { OwnerStore } from './ownership/owner-store.js';
import { choosePlan } from './plans/plan-choice.js';
import { openRequired, PlanStore, stepViews } from './plans/plan-store.js';
import { RunawayStore } from './runaway/runaway-store.js';
import { stormReview } from './storm/storm-review.js';
import { StormStore } from './storm/storm-store.js';
import { TestModeStore } from './test-mode/test-mode-store.js';

export interface WorkflowStores {
  plans: PlanStore;
  owners: OwnerStore;
  testModes: TestModeStore;
  runaways: RunawayStore;
  storms: StormStore;
}

/** The stores the hooks read and write, as the workflow module builds them (and a bench beside it). */
export function workflowStores(): WorkflowStores {
  return {
    plans: new PlanStore(),
    owners: new OwnerStore(),
    testModes: new TestModeStore(),
    runaways: new RunawayStore(),
    storms: new StormStore(),
  };
}

/** Events the workflow raises itself (a runaway's ticket and its restore) carry this in `detail`. */
export const WORKFLOW_MARK = 'workflow';

const isOpen = (s: string | undefined): s is IncidentState =>
  s !== undefined && (OPEN_STATES as readonly string[]).includes(s);

/**
 * The workflow's part in the core's decisions (issue 17), each inside the decision's transaction:
 * test mode and runaway devices divert events, a new incident gets its plan and follows the site's
 * holder, and an operator's change is checked against ownership and the plan's required steps.
 */
export function workflowHooks(
  cfg: Config,
  dir: Directory,
  s: WorkflowStores,
  now: () => Date = () => new Date(),
): CoreHooks {
  const rw = cfg.workflow.runaway;
  const ms = (iso: string) => Date.parse(iso);
  const before = (iso: string, seconds: number) => new Date(ms(iso) - seconds * 1000).toISOString();

  async function runaway(tx: Tx, ev: NormalizedEvent): Promise<Diversion | undefined> {
    const open = await s.runaways.open(tx, ev.device);
    if (open) {
      let incident: Diversion['incident'];
      if (open.incident) {
        const state = await s.runaways.incidentState(tx, open.incident);
        if (isOpen(state)) incident = { id: open.incident, state };
      } else {
        const found = await s.runaways.incidentOfDevice(tx, ev.device, before(open.since, rw.windowSeconds));
        if (found && isOpen(found.state)) {
          await s.runaways.setIncident(tx, open.id, found.id);
          incident = { id: found.id, state: found.state };
        }
      }
      // No open incident (the operator closed it): stored and counted on the device only.
      return incident ? { divert: 'runaway', incident } : { divert: 'runaway' };
    }
    const from = before(ev.receivedAt, rw.windowSeconds);
    const n = await s.runaways.countSince(tx, ev.device, from, rw.maxEvents + 1);
    if (n <= rw.maxEvents) return undefined;
    const r = await s.runaways.begin(tx, ev.device, ev.site, ev.receivedAt);
    const found = await s.runaways.incidentOfDevice(tx, ev.device, from);
    if (!found || !isOpen(found.state)) return undefined; // decided as usual: it opens the incident
    await s.runaways.setIncident(tx, r.id, found.id);
    return { divert: 'runaway', incident: { id: found.id, state: found.state } };
  }

  return {
    async divert(tx, ev) {
      // A held event being released is claimed in its decision's transaction (which holds the site's
      // turn, `EventCore.release`): two nodes releasing the same storm at once (each maintainer, or a
      // supervisor ending it) decide it once, not twice.
      if (s.storms.isReleasing(ev.key) && !(await s.storms.claim(tx, ev.key, ev.receivedAt)))
        return { divert: 'released' };
      if (ev.detail?.[WORKFLOW_MARK] === true) return undefined;
      const mode = await s.testModes.covering(tx, ev.site, ev.device, ev.receivedAt);
      if (mode) {
        await s.testModes.recordEvent(tx, mode.id, ev.key, ev.receivedAt);
        return { divert: 'test' };
      }
      // A runaway panel's panic or fire is still decided as one: it raises the open incident to P1.
      if (ev.source === 'system' || isLifeSafety(ev.type)) return undefined;
      return runaway(tx, ev);
    },

    review: (tx, ev, decision) => stormReview(tx, dir, s.storms, ev, decision),

    async opened(tx: Tx, inc: OpenedIncident, ev: NormalizedEvent) {
      const plan = choosePlan(cfg.actionPlans, {
        type: ev.type,
        siteKind: dir.site(inc.site)?.kind,
        priority: inc.priority,
        kind: inc.kind,
      });
      if (plan) await s.plans.insert(tx, inc.id, plan, inc.priority, inc.at);
      // Whatever opens at a site whose alarm someone holds (a second incident: a trouble ticket, or an
      // alarm the rules keep apart) goes to that operator.
      if (cfg.workflow.ownership.followSite) {
        const holder = await s.owners.siteHolder(tx, inc.site, inc.id);
        if (holder) await s.owners.take(tx, inc.id, holder, 'site', inc.at);
      }
    },

    async guard(tx: Tx, inc: IncidentSummary, ctx: GuardContext) {
      const changes: IncidentChange[] = [];
      const holder = await s.owners.holder(tx, inc.id);
      if (holder && holder.username !== ctx.by)
        throw new HttpError(
          409,
          'owned_by_other',
          `incident ${inc.id} is held by ${holder.username}; take it over first`,
          { owner: holder.username },
        );
      const at = now().toISOString();
      if (!holder && ctx.to === 'acknowledged' && cfg.workflow.ownership.takeOnAck) {
        await s.owners.take(tx, inc.id, ctx.by, 'ack', at);
        changes.push({ kind: 'workflow', what: 'owner', by: ctx.by, detail: { owner: ctx.by, via: 'ack' } });
      }
      if (ctx.to === 'resolved') {
        const plan = await s.plans.get(tx, inc.id);
        if (plan) {
          const steps = stepViews(
            plan,
            await s.plans.outcomes(tx, inc.id),
            await s.plans.derived(tx, inc.id),
          );
          const open = openRequired(steps).map((st) => st.id);
          if (open.length > 0 && !ctx.override)
            throw new HttpError(
              409,
              'steps_incomplete',
              `incident ${inc.id} has required steps without an outcome: ${open.join(', ')}`,
              { steps: open },
            );
          if (open.length > 0)
            changes.push({
              kind: 'workflow',
              what: 'override',
              by: ctx.by,
              detail: { steps: open, reason: ctx.override!.reason },
            });
        }
      }
      return changes;
    },
  };
}
