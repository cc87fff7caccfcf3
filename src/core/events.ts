/**
 * The normalized event model every driver's output is mapped to. Drivers have their own wire
 * types; `src/` maps them here, and the core decides on these alone.
 */

/** Alarm-panel event types of panel protocol v1 (DESIGN.md). */
export const PANEL_EVENT_TYPES = [
  'panic',
  'intrusion',
  'fire',
  'duress',
  'medical',
  'tamper',
  'trouble',
  'restore',
  'arm',
  'disarm',
  'test',
] as const;
export type PanelEventType = (typeof PANEL_EVENT_TYPES)[number];

/** Event types raised by cameras and analytics. */
export const CAMERA_EVENT_TYPES = [
  'motion',
  'person',
  'vehicle',
  'plate',
  'video_loss',
  'video_restore',
] as const;
export type CameraEventType = (typeof CAMERA_EVENT_TYPES)[number];

/**
 * Event types the service raises from a site's schedule (issue 17): a disarm outside opening hours,
 * a site still not armed after closing time and its grace.
 */
export const SCHEDULE_EVENT_TYPES = ['unexpected_opening', 'late_to_close'] as const;
export type ScheduleEventType = (typeof SCHEDULE_EVENT_TYPES)[number];

export type EventType = PanelEventType | CameraEventType | ScheduleEventType;

export type EventSource = 'panel' | 'camera' | 'sia' | 'model' | 'system';

const LIFE_SAFETY: ReadonlySet<string> = new Set(['panic', 'duress', 'fire', 'medical']);

/** Panic, duress, fire and medical: P1 at once, never held back, never folded into a runaway's count. */
export function isLifeSafety(type: string): boolean {
  return LIFE_SAFETY.has(type);
}

export interface NormalizedEvent {
  /** Globally unique idempotency key, `${source}:${device}:${id}`: a redelivery carries the same key. */
  key: string;
  source: EventSource;
  /** Panel or camera id. */
  device: string;
  site: string;
  type: EventType;
  zone?: string;
  /** Contact ID code when the device sent one, e.g. `E120`. */
  cid?: string;
  /** Device clock, ISO-8601. */
  ts: string;
  /** Service clock when the event was committed, ISO-8601. */
  receivedAt: string;
  /** Free-form detail: trouble reason, plate text, detector scores, battery... */
  detail?: Record<string, unknown>;
}

export function eventKey(source: EventSource, device: string, id: string): string {
  return `${source}:${device}:${id}`;
}
