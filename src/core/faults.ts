import type { NormalizedEvent } from './events.js';

/**
 * Faults of a maintenance ticket. A ticket belongs to one device and lists what is wrong with it;
 * each restore clears only what it restores, and the ticket closes when nothing is left. So a camera
 * that blips cannot close the ticket of a dead panel, and a panel whose mains returns does not close
 * its own communication-lost ticket.
 */
export const COMMUNICATION = 'communication';
export const VIDEO = 'video';
/** Tickets opened before faults were tracked (migration 012): the device's next restore clears it. */
export const LEGACY = 'legacy';

/** Contact ID 350/354: communication trouble (the panel's own word for a lost path). */
const COMM_CIDS = new Set(['350', '354']);

function cidNumber(ev: NormalizedEvent): string | undefined {
  return ev.cid && /^[ER]\d{3}$/.test(ev.cid) ? ev.cid.slice(1) : undefined;
}

/** The fault a trouble or video loss raises on its device's ticket. */
export function faultOf(ev: NormalizedEvent): string {
  if (ev.type === 'video_loss') return VIDEO;
  const reason = ev.detail?.['reason'];
  const cid = cidNumber(ev);
  if ((typeof reason === 'string' && /^communication/.test(reason)) || (cid && COMM_CIDS.has(cid)))
    return COMMUNICATION;
  if (cid) return `cid:${cid}`;
  if (typeof reason === 'string' && reason.length > 0) return `reason:${reason}`;
  return ev.type;
}

/**
 * Which of a device's open faults a restore clears: `undefined` clears nothing (the restore of an
 * alarm zone is not the end of a trouble).
 */
export function clearsFault(ev: NormalizedEvent, fault: string): boolean {
  if (ev.type === 'video_restore') return fault === VIDEO || fault === LEGACY;
  if (ev.type !== 'restore') return false;
  // The service's own restores (issue 17: a test report back, a runaway panel calm again) name
  // exactly the fault they clear, so they never clear what the panel reported.
  const named = ev.detail?.['fault'];
  if (typeof named === 'string') return fault === named;
  const restoreOf = ev.detail?.['restoreOf'];
  if (typeof restoreOf === 'string' && restoreOf !== 'trouble' && restoreOf !== 'tamper') return false;
  const reason = ev.detail?.['reason'];
  const cid = cidNumber(ev);
  if ((typeof reason === 'string' && /^communication/.test(reason)) || (cid && COMM_CIDS.has(cid)))
    return fault === COMMUNICATION || fault === LEGACY;
  if (cid) return fault === `cid:${cid}` || fault === LEGACY;
  // A panel's plain restore: whatever the panel itself reported. Communication and video losses are
  // the service's findings; only the service (their restore) clears them.
  return fault !== COMMUNICATION && fault !== VIDEO;
}
