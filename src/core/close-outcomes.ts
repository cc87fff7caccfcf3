import { HttpError } from '../errors.js';
import type { IncidentState } from './incident-types.js';

/**
 * How an alarm was closed (警情处置结果): a code the operator picks when resolving, or the cause when
 * marking a false alarm. Monthly figures, the false-alarm follow-up with the owner or the installer
 * and the reports are counted by these codes, not read out of free-text notes. Fixed in code: a code
 * once written stays in the transitions table, so a code is never renamed or reused, only added.
 * The order is the order of the console's close dialog (its number keys), most common first.
 */
export interface CloseOutcome {
  code: string;
  /** What the console and the reports show. */
  label: string;
  /** The operator must say in the note what it was (`other`). */
  needsNote?: boolean;
}

export const CLOSE_OUTCOMES = {
  resolved: [
    { code: 'real_handled', label: '真实警情·已处置' },
    { code: 'real_transferred', label: '真实警情·已移交（消防、急救等）' },
    { code: 'no_trace', label: '警情已消除·未发现异常' },
    { code: 'test', label: '测试或演练' },
    { code: 'other', label: '其他（在备注中说明）', needsNote: true },
  ],
  false_alarm: [
    { code: 'user_error', label: '用户误操作' },
    { code: 'device_fault', label: '设备故障' },
    { code: 'environment', label: '环境因素（宠物、天气、光线）' },
    { code: 'works', label: '施工或维修未报备' },
    { code: 'unknown', label: '原因不明' },
  ],
} as const satisfies Record<'resolved' | 'false_alarm', readonly CloseOutcome[]>;

export type ClosingState = keyof typeof CLOSE_OUTCOMES;
export type ResolvedOutcome = (typeof CLOSE_OUTCOMES.resolved)[number]['code'];
export type FalseAlarmCause = (typeof CLOSE_OUTCOMES.false_alarm)[number]['code'];
export type OutcomeCode = ResolvedOutcome | FalseAlarmCause;

export function isClosing(state: IncidentState): state is ClosingState {
  return state === 'resolved' || state === 'false_alarm';
}

/** The label of `code` when closing into `state`, or the code itself for one this build does not know. */
export function outcomeLabel(state: string, code: string): string {
  const list: readonly CloseOutcome[] = isClosing(state as IncidentState)
    ? CLOSE_OUTCOMES[state as ClosingState]
    : [];
  return list.find((o) => o.code === code)?.label ?? code;
}

/**
 * Checks an outcome given with a move to `to` (the API's `outcome`): 400 with the codes that are
 * allowed when it is unknown, given on a move that closes nothing, or `other` without a note.
 */
export function checkOutcome(to: IncidentState, outcome: string | undefined, note: string | undefined): void {
  if (outcome === undefined) return;
  if (!isClosing(to))
    throw new HttpError(
      400,
      'bad_request',
      `body.outcome: only resolving or a false alarm takes an outcome`,
      {
        details: [{ field: 'body.outcome', reason: 'not_closing' }],
      },
    );
  const list: readonly CloseOutcome[] = CLOSE_OUTCOMES[to];
  const known = list.find((o) => o.code === outcome);
  if (!known) {
    const what = to === 'resolved' ? 'outcome of a resolved incident' : 'cause of a false alarm';
    throw new HttpError(
      400,
      'unknown_outcome',
      `body.outcome: ${JSON.stringify(outcome)} is not a known ${what}; use one of ${list.map((o) => o.code).join(', ')}`,
      { field: 'body.outcome', allowed: list.map((o) => o.code) },
    );
  }
  if (known.needsNote && !note?.trim())
    throw new HttpError(
      400,
      'note_required',
      `body.note: outcome ${outcome} needs a note saying what it was`,
      {
        field: 'body.note',
      },
    );
}
