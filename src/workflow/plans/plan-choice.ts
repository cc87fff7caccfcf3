import {
  type ActionPlanConfig,
  DEFAULT_OUTCOMES,
  type StepKind,
} from '../../config/sections/action-plans.js';
import { DEFAULT_PLANS } from './default-plans.js';

/** A step as the incident carries it (`plan.steps[]`), before its outcome. */
export interface PlanStep {
  id: string;
  kind: StepKind;
  text: string;
  required: boolean;
  outcomes: string[];
  /** The text is the kind's name (the console shows it in the user's language). */
  builtin: boolean;
}

export interface ChosenPlan {
  name: string;
  steps: PlanStep[];
}

/** What a plan is chosen by: the incident's opening event type, its site's kind, priority and kind. */
export interface PlanTarget {
  type: string;
  siteKind: string | undefined;
  priority: number;
  kind: 'alarm' | 'maintenance';
}

/** The Chinese name of each kind: the text of a step configured without one. */
export const STEP_TEXT: Record<StepKind, string> = {
  review_video: '复核现场视频',
  call_site: '回拨现场核实',
  call_keyholder: '联系钥匙持有人',
  forward_station: '转报辖区派出所',
  dispatch: '派警出动',
  notify_owner: '通知业主',
  custom: '处置步骤',
};

function matches(plan: ActionPlanConfig, t: PlanTarget): number | undefined {
  const m = plan.match;
  let score = 0;
  const check = <T>(list: readonly T[] | undefined, value: T | undefined): boolean => {
    if (!list) return true;
    score++;
    return value !== undefined && list.includes(value);
  };
  const ok =
    check(m.types as readonly string[] | undefined, t.type) &&
    check(m.siteKinds as readonly string[] | undefined, t.siteKind) &&
    check(m.priorities, t.priority) &&
    check(m.kinds, t.kind);
  return ok ? score : undefined;
}

/** The most specific matching plan (most criteria named; the first of equals), or undefined. */
export function bestPlan(plans: readonly ActionPlanConfig[], t: PlanTarget): ActionPlanConfig | undefined {
  let best: ActionPlanConfig | undefined;
  let bestScore = -1;
  for (const p of plans) {
    const score = matches(p, t);
    if (score !== undefined && score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The configured plan for the incident, else the built-in one. An empty `actionPlans: []` turns plans
 * off (undefined: the incident has no plan and nothing keeps it from being resolved).
 */
export function choosePlan(
  configured: readonly ActionPlanConfig[] | undefined,
  t: PlanTarget,
): ChosenPlan | undefined {
  if (configured && configured.length === 0) return undefined;
  const plan = (configured && bestPlan(configured, t)) ?? bestPlan(DEFAULT_PLANS, t) ?? DEFAULT_PLANS.at(-1)!;
  return {
    name: plan.name,
    steps: plan.steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      text: s.text ?? STEP_TEXT[s.kind],
      required: s.required,
      outcomes: [...(s.outcomes ?? DEFAULT_OUTCOMES[s.kind])],
      builtin: s.text === undefined,
    })),
  };
}
