import type { Config } from '../config/schema.js';
import type { EscalationStepConfig } from '../config/sections/escalation.js';
import type { PendingEscalation } from './core-repository.js';
import type { Priority } from './incident-types.js';
import type { JurisdictionTree } from './jurisdictions.js';

/**
 * Defaults after the practice the issue cites: answer within five minutes, notify city-wide after
 * thirty. At 300 s a P1 is re-announced at its own desks and escalated to the parent node; at 1800 s
 * to the root (the city 110 centre). P2 gets twice the time; P3 and P4 (maintenance) do not escalate.
 */
export const DEFAULT_ESCALATION: Readonly<Record<`P${Priority}`, readonly EscalationStepConfig[]>> = {
  P1: [
    { afterSeconds: 300, action: 'reannounce', to: 'parent' },
    { afterSeconds: 300, action: 'escalate', to: 'parent' },
    { afterSeconds: 1800, action: 'escalate', to: 'root' },
  ],
  P2: [
    { afterSeconds: 600, action: 'reannounce', to: 'parent' },
    { afterSeconds: 600, action: 'escalate', to: 'parent' },
    { afterSeconds: 3600, action: 'escalate', to: 'root' },
  ],
  P3: [],
  P4: [],
};

export type EscalationConfig = Config['escalation'];

export function stepsFor(cfg: EscalationConfig, priority: Priority): readonly EscalationStepConfig[] {
  const key = `P${priority}` as const;
  return cfg[key] ?? DEFAULT_ESCALATION[key];
}

export interface DueStep {
  /** 1-based position in the priority's policy; (incident, step) is recorded once. */
  step: number;
  kind: 'reannounce' | 'escalate';
  jurisdiction: string;
  dueAt: number;
}

/**
 * Every step of the policy with its target node, computed from the incident's node alone so that a
 * restarted maintainer derives exactly the same steps (nothing in memory decides what is due).
 */
export function planSteps(
  tree: JurisdictionTree,
  jurisdiction: string,
  openedAt: string,
  steps: readonly EscalationStepConfig[],
): DueStep[] {
  const opened = Date.parse(openedAt);
  let node = jurisdiction;
  return steps.map((s, i) => {
    if (s.action === 'escalate') {
      node = s.to === 'root' ? (tree.get(node)?.path[0] ?? node) : (tree.parent(node) ?? node);
    }
    return { step: i + 1, kind: s.action, jurisdiction: node, dueAt: opened + s.afterSeconds * 1000 };
  });
}

/** Steps due at `now` and not yet recorded, in order. */
export function dueSteps(
  tree: JurisdictionTree,
  cfg: EscalationConfig,
  p: PendingEscalation,
  now: number,
): DueStep[] {
  const done = new Set(p.steps);
  return planSteps(tree, p.jurisdiction, p.openedAt, stepsFor(cfg, p.priority)).filter(
    (s) => s.dueAt <= now && !done.has(s.step),
  );
}
