import { prepare } from '../../store/prepared.js';
import type { Db } from '../db.js';
import type { ChosenPlan, PlanStep } from './plan-choice.js';

/** Every new incident's plan, on the alarm path: compiled once (src/store/prepared.ts). */
const INSERT_PLAN = prepare<{ id: string; name: string; steps: string; priority: number; at: string }>()(
  (k, p) =>
    k
      .insertInto('incident_plans')
      .values({
        incident_id: p('id'),
        name: p('name'),
        steps: p('steps'),
        priority: p('priority'),
        chosen_at: p('at'),
      })
      .onConflict((oc) => oc.column('incident_id').doNothing()),
);

// Read with every push of an incident (src/store/prepared.ts).
const PLANS = prepare<{ ids: readonly string[] }>()((k, p) =>
  k
    .selectFrom('incident_plans')
    .select(['incident_id', 'name', 'steps', 'priority'])
    .where('incident_id', 'in', p('ids')),
);
const OUTCOMES = prepare<{ ids: readonly string[] }>()((k, p) =>
  k
    .selectFrom('incident_steps')
    .select(['incident_id', 'step_id', 'outcome', 'note', 'by_user', 'at'])
    .where('incident_id', 'in', p('ids')),
);

export interface StepOutcome {
  stepId: string;
  outcome: string;
  note: string | null;
  by: string;
  at: string;
}

/** A step as the incident carries it: the plan's step with its outcome, who and when. */
export interface StepView extends PlanStep {
  outcome?: string;
  by?: string;
  at?: string;
  note?: string;
  /** The outcome follows from something else the incident records (dispatched, forwarded). */
  derived?: boolean;
}

export interface StoredPlan extends ChosenPlan {
  priority: number;
}

/** Outcomes other records imply: a dispatch step is done by the dispatch, a forward step by the forward. */
export interface DerivedOutcomes {
  dispatched?: { by: string; at: string };
  forwarded?: { by: string; at: string };
}

const toOutcome = (r: {
  step_id: string;
  outcome: string;
  note: string | null;
  by_user: string;
  at: string;
}) => ({
  stepId: r.step_id,
  outcome: r.outcome,
  note: r.note,
  by: r.by_user,
  at: r.at,
});

/** The incident's plan (`incident_plans`) and its steps' outcomes (`incident_steps`). */
export class PlanStore {
  async insert(tx: Db, id: string, plan: ChosenPlan, priority: number, at: string): Promise<void> {
    await INSERT_PLAN.execute(tx, { id, name: plan.name, steps: JSON.stringify(plan.steps), priority, at });
  }

  async get(tx: Db, id: string): Promise<StoredPlan | undefined> {
    return (await this.many(tx, [id])).get(id)?.plan;
  }

  async setOutcome(tx: Db, id: string, o: StepOutcome): Promise<void> {
    const row = { outcome: o.outcome, note: o.note, by_user: o.by, at: o.at };
    await tx
      .insertInto('incident_steps')
      .values({ incident_id: id, step_id: o.stepId, ...row })
      .onConflict((oc) => oc.columns(['incident_id', 'step_id']).doUpdateSet(row))
      .execute();
  }

  async outcomes(tx: Db, id: string): Promise<StepOutcome[]> {
    return (await this.many(tx, [id])).get(id)?.outcomes ?? [];
  }

  /** What the incident's own records say of its dispatch and forward steps. */
  async derived(db: Db, id: string): Promise<DerivedOutcomes> {
    const t = await db
      .selectFrom('transitions')
      .select(['by_user', 'at'])
      .where('incident_id', '=', id)
      .where('to_state', '=', 'dispatched')
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const f = await db
      .selectFrom('incident_forwards')
      .select(['by_user', 'at'])
      .where('incident_id', '=', id)
      .executeTakeFirst();
    return {
      ...(t ? { dispatched: { by: t.by_user, at: t.at } } : {}),
      ...(f ? { forwarded: { by: f.by_user, at: f.at } } : {}),
    };
  }

  /** Plans and outcomes of a page of incidents: two queries, whatever its size. */
  async many(
    db: Db,
    ids: readonly string[],
  ): Promise<Map<string, { plan: StoredPlan; outcomes: StepOutcome[] }>> {
    const out = new Map<string, { plan: StoredPlan; outcomes: StepOutcome[] }>();
    if (ids.length === 0) return out;
    const plans = await PLANS.all(db, { ids });
    for (const r of plans)
      out.set(r.incident_id, {
        plan: { name: r.name, steps: JSON.parse(r.steps) as PlanStep[], priority: r.priority },
        outcomes: [],
      });
    if (out.size === 0) return out;
    const rows = await OUTCOMES.all(db, { ids: [...out.keys()] });
    for (const r of rows) out.get(r.incident_id)?.outcomes.push(toOutcome(r));
    return out;
  }
}

/** Each step with its outcome; dispatch and forward steps done by the dispatch and the forward themselves. */
export function stepViews(
  plan: ChosenPlan,
  outcomes: readonly StepOutcome[],
  derived: DerivedOutcomes,
): StepView[] {
  const byStep = new Map(outcomes.map((o) => [o.stepId, o]));
  return plan.steps.map((s): StepView => {
    const o = byStep.get(s.id);
    if (o) return { ...s, outcome: o.outcome, by: o.by, at: o.at, ...(o.note ? { note: o.note } : {}) };
    const d =
      s.kind === 'dispatch'
        ? derived.dispatched
        : s.kind === 'forward_station'
          ? derived.forwarded
          : undefined;
    if (d)
      return {
        ...s,
        outcome: s.kind === 'dispatch' ? 'dispatched' : 'forwarded',
        by: d.by,
        at: d.at,
        derived: true,
      };
    return { ...s };
  });
}

/** Required steps without an outcome: what keeps an incident from being resolved. */
export function openRequired(steps: readonly StepView[]): StepView[] {
  return steps.filter((s) => s.required && s.outcome === undefined);
}
