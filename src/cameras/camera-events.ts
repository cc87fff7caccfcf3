import type { DriverCameraEvent } from '../../drivers/onvif/onvif-events.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import { type EventType, eventKey, type NormalizedEvent } from '../core/events.js';

/**
 * ONVIF notification → normalized event, or undefined when it means nothing to the core:
 * `Initialized` messages restate the current state on every (re)subscription, and the end of motion
 * or tamper is not an event of its own.
 */
export function fromOnvif(cam: CameraConfig, ev: DriverCameraEvent, now: Date): NormalizedEvent | undefined {
  if (ev.operation === 'Initialized') return undefined;
  let type: EventType | undefined;
  if (ev.kind === 'motion' && ev.active) type = 'motion';
  else if (ev.kind === 'tamper' && ev.active) type = 'tamper';
  else if (ev.kind === 'video_loss') type = ev.active ? 'video_loss' : 'video_restore';
  if (!type) return undefined;
  const ts = validIso(ev.utcTime) ?? now.toISOString();
  return {
    // Same camera + topic + state + camera time = the same notification (a re-pulled message after a renew).
    key: eventKey('camera', cam.id, `onvif:${ev.topic}:${ev.active ? 1 : 0}:${ts}`),
    source: 'camera',
    device: cam.id,
    site: cam.site,
    type,
    ts,
    receivedAt: now.toISOString(),
    detail: {
      via: 'onvif',
      topic: ev.topic,
      ...(Object.keys(ev.source).length > 0 ? { source: ev.source } : {}),
    },
  };
}

/** Watchdog verdicts: `video_loss` (trouble for the site) and `video_restore`. */
/**
 * A watchdog's video loss or restore. The key is derived from when the loss began (`lostSince`), so
 * the loss raised again after a crash, or a retried commit, is a redelivery the core ignores.
 */
export function fromWatchdog(
  cam: CameraConfig,
  type: 'video_loss' | 'video_restore',
  now: Date,
  detail: Record<string, unknown>,
  lostSince: Date = now,
): NormalizedEvent {
  const ts = now.toISOString();
  return {
    key: eventKey('camera', cam.id, `watchdog:${type}:${lostSince.toISOString()}`),
    source: 'camera',
    device: cam.id,
    site: cam.site,
    type,
    ts,
    receivedAt: ts,
    detail: { via: 'watchdog', ...detail },
  };
}

function validIso(s: string): string | undefined {
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
