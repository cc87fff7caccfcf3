import { describe, expect, it } from 'vitest';
import type { DriverCameraEvent } from '../../drivers/onvif/onvif-events.js';
import { fromOnvif, fromWatchdog } from '../../src/cameras/camera-events.js';
import type { CameraConfig } from '../../src/config/sections/cameras.js';

const cam: CameraConfig = {
  id: 'cam-1',
  site: 'shop-1',
  rtsp: 'rtsp://h/x',
  preroll: 30,
  postroll: 30,
  videoLossSeconds: 10,
};
const now = new Date('2024-03-01T10:00:10Z');
const ev = (kind: DriverCameraEvent['kind'], active: boolean, operation = 'Changed'): DriverCameraEvent => ({
  kind,
  active,
  operation,
  topic: `T/${kind}`,
  utcTime: '2024-03-01T10:00:04Z',
  source: {},
});

describe('ONVIF event → normalized event', () => {
  it.each([
    ['motion', true, 'Changed', 'motion'],
    ['motion', false, 'Changed', undefined],
    ['tamper', true, 'Changed', 'tamper'],
    ['tamper', false, 'Changed', undefined],
    ['video_loss', true, 'Changed', 'video_loss'],
    ['video_loss', false, 'Changed', 'video_restore'],
    // State restated at (re)subscription: not an event.
    ['motion', true, 'Initialized', undefined],
    ['video_loss', true, 'Initialized', undefined],
  ] as const)('%s active=%s (%s) → %s', (kind, active, op, type) => {
    expect(fromOnvif(cam, ev(kind, active, op), now)?.type).toBe(type);
  });

  it('keys by camera, topic, state and camera time, so a re-pulled message is a redelivery', () => {
    const a = fromOnvif(cam, ev('motion', true), now);
    const b = fromOnvif(cam, ev('motion', true), new Date(now.getTime() + 5000));
    expect(a?.key).toBe(b?.key);
    expect(a).toMatchObject({
      key: 'camera:cam-1:onvif:T/motion:1:2024-03-01T10:00:04.000Z',
      source: 'camera',
      device: 'cam-1',
      site: 'shop-1',
      ts: '2024-03-01T10:00:04.000Z',
      receivedAt: '2024-03-01T10:00:10.000Z',
    });
  });

  it('a camera time that is not a date falls back to ours', () => {
    expect(fromOnvif(cam, { ...ev('motion', true), utcTime: 'garbage' }, now)?.ts).toBe(now.toISOString());
  });

  it('watchdog events are for the camera’s site', () => {
    expect(fromWatchdog(cam, 'video_loss', now, { seconds: 10 })).toMatchObject({
      type: 'video_loss',
      site: 'shop-1',
      device: 'cam-1',
      detail: { via: 'watchdog', seconds: 10 },
    });
  });
});
