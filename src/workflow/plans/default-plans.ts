import type { ActionPlanConfig, PlanStepConfig, StepKind } from '../../config/sections/action-plans.js';

const step = (id: string, kind: StepKind, required = true): PlanStepConfig => ({ id, kind, required });

/**
 * The built-in action plans (issue 17), after the Chinese alarm-operation service order: review (复核:
 * video, call-back) → forward (转报 to the station) → on-site (处置: dispatch) → notify (通知 the owner).
 * Used when `actionPlans` is omitted, and for an incident no configured plan matches.
 */
export const DEFAULT_PLANS: readonly ActionPlanConfig[] = [
  {
    name: 'panic-duress',
    match: { types: ['panic', 'duress'] },
    steps: [
      step('review-video', 'review_video', false),
      step('call-site', 'call_site'),
      step('forward-station', 'forward_station'),
      step('dispatch', 'dispatch', false),
      step('notify-owner', 'notify_owner', false),
    ],
  },
  {
    name: 'fire',
    match: { types: ['fire'] },
    steps: [
      step('call-site', 'call_site'),
      step('forward-station', 'forward_station'),
      step('review-video', 'review_video', false),
      step('notify-owner', 'notify_owner', false),
    ],
  },
  {
    name: 'medical',
    match: { types: ['medical'] },
    steps: [
      step('call-site', 'call_site'),
      step('forward-station', 'forward_station'),
      step('notify-owner', 'notify_owner', false),
    ],
  },
  {
    name: 'intrusion',
    match: { types: ['intrusion'] },
    steps: [
      step('review-video', 'review_video'),
      step('call-site', 'call_site'),
      step('call-keyholder', 'call_keyholder', false),
      step('forward-station', 'forward_station'),
      step('dispatch', 'dispatch', false),
      step('notify-owner', 'notify_owner', false),
    ],
  },
  {
    name: 'tamper',
    match: { types: ['tamper'] },
    steps: [
      step('review-video', 'review_video', false),
      step('call-site', 'call_site'),
      step('notify-owner', 'notify_owner', false),
    ],
  },
  {
    name: 'schedule',
    match: { types: ['unexpected_opening', 'late_to_close'] },
    steps: [
      step('call-site', 'call_site'),
      step('call-keyholder', 'call_keyholder', false),
      step('review-video', 'review_video', false),
    ],
  },
  {
    name: 'maintenance',
    match: { kinds: ['maintenance'] },
    steps: [step('call-site', 'call_site', false), step('notify-owner', 'notify_owner', false)],
  },
  {
    name: 'alarm',
    match: {},
    steps: [step('review-video', 'review_video', false), step('call-site', 'call_site')],
  },
];
