import type { IncidentState } from './incident-types.js';

/** Legal incident transitions; anything else is refused with 409. */
export const TRANSITIONS: Readonly<Record<IncidentState, readonly IncidentState[]>> = {
  new: ['acknowledged', 'false_alarm'],
  acknowledged: ['dispatched', 'resolved', 'false_alarm'],
  dispatched: ['on_scene', 'resolved', 'false_alarm'],
  on_scene: ['resolved', 'false_alarm'],
  resolved: [],
  false_alarm: [],
};

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return TRANSITIONS[from].includes(to);
}
