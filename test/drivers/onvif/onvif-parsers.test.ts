import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseCapabilities,
  parseDeviceInformation,
  parseSystemDateAndTime,
  rebase,
} from '../../../drivers/onvif/onvif-device.js';
import { parseProbeMatches } from '../../../drivers/onvif/onvif-discovery.js';
import { classify, parseNotifications, parseSubscription } from '../../../drivers/onvif/onvif-events.js';
import { parseMediaUri, parseProfiles, pickStreams } from '../../../drivers/onvif/onvif-media.js';
import { parsePresets, resolvePreset } from '../../../drivers/onvif/onvif-ptz.js';
import { parseFault, soapBody } from '../../../drivers/onvif/onvif-soap.js';
import { OnvifError, parseXml } from '../../../drivers/onvif/onvif-xml.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'onvif');
const xml = (name: string) => readFileSync(join(FIX, name), 'utf8');
const body = (name: string, action = 'test') => soapBody(xml(name), action);

describe('device service', () => {
  it.each([
    ['hikvision-device-information.xml', 'HIKVISION', 'DS-2CD2143G2-I', '88'],
    ['dahua-device-information.xml', 'General', 'IPC-HDW2431T-AS-S2', ''],
    ['axis-device-information.xml', 'AXIS', 'P3245-LV', '7A4'],
  ])('%s → manufacturer %s, model %s', (file, manufacturer, model, hardwareId) => {
    expect(parseDeviceInformation(body(file))).toMatchObject({ manufacturer, model, hardwareId });
  });

  it.each([
    [
      'hikvision-capabilities.xml',
      {
        media: 'http://192.168.1.64/onvif/Media',
        ptz: 'http://192.168.1.64/onvif/PTZ',
        events: 'http://192.168.1.64/onvif/Events',
        pullPoint: true,
      },
    ],
    [
      'axis-capabilities.xml',
      { media: 'http://10.0.0.9/onvif/services', events: 'http://10.0.0.9/onvif/services', pullPoint: true },
    ],
    [
      'nvr-default-ns-capabilities.xml',
      {
        media: 'http://192.168.1.108/onvif/media_service',
        ptz: 'http://192.168.1.108/onvif/ptz_service',
        events: 'http://192.168.1.108/onvif/event_service',
        pullPoint: false,
      },
    ],
  ])('%s → service addresses', (file, want) => {
    const caps = parseCapabilities(body(file));
    expect(caps).toMatchObject(want);
    if (!('ptz' in want)) expect(caps.ptz).toBeUndefined();
  });

  it.each([
    ['hikvision-date-time.xml', '2024-03-01T10:00:07.000Z'],
    // Only LocalDateTime: taken as given (the camera has no UTC notion we could trust more).
    ['local-only-date-time.xml', '2024-03-01T18:00:07.000Z'],
  ])('%s → camera clock %s', (file, iso) => {
    expect(parseSystemDateAndTime(body(file)).toISOString()).toBe(iso);
  });

  it.each([
    [
      'http://192.168.1.64/onvif/Media',
      'http://203.0.113.7:8081/onvif/device_service',
      'http://203.0.113.7:8081/onvif/Media',
    ],
    [
      'http://0.0.0.0/onvif/ptz',
      'https://cam.example:443/onvif/device_service',
      'https://cam.example/onvif/ptz',
    ],
  ])('rebase(%s) onto the reached host', (xaddr, reached, want) => {
    expect(rebase(xaddr, reached)).toBe(want);
  });
});

describe('media service', () => {
  it.each([
    ['hikvision-profiles.xml', 2, 'Profile_1', 'Profile_2', true],
    // Dahua lists the sub stream first: main is picked by size, not by order.
    ['dahua-profiles.xml', 2, 'MediaProfile00000', 'MediaProfile00001', false],
    // Axis: an audio-only profile and an MJPEG one are skipped.
    ['axis-profiles.xml', 4, 'profile_1_h264', 'profile_2_h264', false],
  ])('%s → %d profiles, main %s, sub %s', (file, count, main, sub, ptz) => {
    const profiles = parseProfiles(body(file));
    expect(profiles).toHaveLength(count);
    const picked = pickStreams(profiles);
    expect(picked.main.token).toBe(main);
    expect(picked.sub.token).toBe(sub);
    expect(picked.main.ptz).toBe(ptz);
    expect(picked.main.encoding).toBe('H264');
  });

  it('reads the Hikvision main profile in full', () => {
    expect(parseProfiles(body('hikvision-profiles.xml'))[0]).toEqual({
      token: 'Profile_1',
      name: 'mainStream',
      encoding: 'H264',
      width: 2560,
      height: 1440,
      fps: 25,
      ptz: true,
    });
  });

  it.each([
    [
      'hikvision-stream-uri.xml',
      'GetStreamUriResponse',
      'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1',
    ],
    [
      'dahua-stream-uri.xml',
      'GetStreamUriResponse',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif',
    ],
    [
      'axis-snapshot-uri.xml',
      'GetSnapshotUriResponse',
      'http://10.0.0.9/onvif-cgi/jpg/image.cgi?resolution=1920x1080&compression=30',
    ],
  ] as const)('%s → URI with entities decoded', (file, response, uri) => {
    expect(parseMediaUri(body(file), response)).toBe(uri);
  });

  it('refuses a profile list without any profile', () => {
    expect(() => pickStreams([])).toThrow(OnvifError);
  });
});

describe('PTZ service', () => {
  it.each([
    ['hikvision-presets.xml', ['1', '2', '3'], ['front door', 'counter', '3']],
    [
      'axis-presets.xml',
      ['c2b3d7a0-0b1f-4f3c-9d55-000000000001', 'c2b3d7a0-0b1f-4f3c-9d55-000000000002'],
      ['Home', 'Entrance'],
    ],
  ])('%s → preset tokens and names', (file, tokens, names) => {
    const presets = parsePresets(body(file));
    expect(presets.map((p) => p.token)).toEqual(tokens);
    expect(presets.map((p) => p.name)).toEqual(names);
  });

  it.each([
    ['hikvision-presets.xml', 2, '2'],
    ['hikvision-presets.xml', 9, undefined],
    // Opaque Axis tokens: a configured number counts presets from 1, a name matches too.
    ['axis-presets.xml', 2, 'c2b3d7a0-0b1f-4f3c-9d55-000000000002'],
    ['axis-presets.xml', 'Home', 'c2b3d7a0-0b1f-4f3c-9d55-000000000001'],
  ])('%s: preset %s → token %s', (file, wanted, token) => {
    expect(resolvePreset(parsePresets(body(file)), wanted)).toBe(token);
  });
});

describe('events service', () => {
  it.each([
    [
      'hikvision-create-pullpoint.xml',
      'http://192.168.1.64/onvif/Events/PullSubManager_2024-03-01T10:00:00Z_0',
    ],
    ['axis-create-pullpoint.xml', 'http://10.0.0.9/onvif/services'],
  ])('%s → subscription address', (file, address) => {
    const sub = parseSubscription(body(file));
    expect(sub.address).toBe(address);
    expect(sub.terminationTime).toBe('2024-03-01T10:01:00Z');
  });

  it.each([
    [
      'hikvision-pull-motion.xml',
      [{ kind: 'motion', active: true, operation: 'Changed', topic: 'RuleEngine/CellMotionDetector/Motion' }],
    ],
    // The Axis virtual-port message is not a camera event we act on.
    ['axis-pull-motion-alarm.xml', [{ kind: 'motion', active: true, topic: 'VideoSource/MotionAlarm' }]],
    [
      'dahua-pull-tamper-initialized.xml',
      [
        { kind: 'tamper', active: false, operation: 'Initialized' },
        {
          kind: 'tamper',
          active: true,
          operation: 'Changed',
          topic: 'VideoSource/GlobalSceneChange/ImagingService',
        },
      ],
    ],
    // No PropertyOperation attribute: treated as a change.
    ['nvr-pull-signal-loss.xml', [{ kind: 'video_loss', active: false, operation: 'Changed' }]],
    ['hikvision-pull-empty.xml', []],
  ])('%s → camera events', (file, want) => {
    const { messages } = parseNotifications(body(file));
    const events = messages.map(classify).filter((e) => e !== undefined);
    expect(events).toHaveLength(want.length);
    for (const [i, w] of want.entries()) expect(events[i]).toMatchObject(w);
  });

  it('keeps source items of a notification', () => {
    const [ev] = parseNotifications(body('hikvision-pull-motion.xml')).messages.map(classify);
    expect(ev?.source).toEqual({
      VideoSourceConfigurationToken: 'VideoSourceToken',
      VideoAnalyticsConfigurationToken: 'VideoAnalyticsToken',
      Rule: 'MyMotionDetectorRule',
    });
    expect(ev?.utcTime).toBe('2024-03-01T10:00:04Z');
  });
});

describe('SOAP faults', () => {
  it.each([
    ['hikvision-fault-not-authorized.xml', 'Sender', 'NotAuthorized', /not authorized/],
    // Nested subcodes: the first (most general) one is reported.
    ['dahua-fault-action-not-supported.xml', 'Receiver', 'ActionNotSupported', /Not Implemented/],
    // SOAP 1.1 shape from old firmware.
    ['axis-soap11-fault.xml', 'Client', undefined, /Sender not authorized/],
  ])('%s → code %s, subcode %s', (file, code, subcode, reason) => {
    const fault = parseFault(parseXml(xml(file)));
    expect(fault?.code).toBe(code);
    expect(fault?.subcode).toBe(subcode);
    expect(fault?.reason).toMatch(reason);
    expect(() => soapBody(xml(file), 'GetProfiles')).toThrow(/^onvif: GetProfiles failed/);
  });

  it.each([
    ['not xml at all', /not XML|no SOAP Body/],
    ['<html><body>401 Unauthorized</body></html>', /no SOAP Body/],
  ])('a non-SOAP answer (%s) is an OnvifError', (text, msg) => {
    expect(() => soapBody(text, 'GetProfiles')).toThrow(msg);
  });

  it('a response without the expected element names what is missing', () => {
    expect(() => parseProfiles(body('hikvision-presets.xml'))).toThrow(/no GetProfilesResponse/);
  });
});

describe('WS-Discovery', () => {
  it.each([
    [
      'hikvision-probe-match.xml',
      'urn:uuid:probe-1',
      {
        urn: 'urn:uuid:54575a64-3435-3230-3430-bcbac2000000',
        name: 'HIKVISION DS-2CD2143G2-I',
        hardware: 'DS-2CD2143G2-I',
        xaddrs: [
          'http://192.168.1.64/onvif/device_service',
          'http://[fe80::bab8:c2ff:fe00:0]/onvif/device_service',
        ],
      },
    ],
    // Dahua leaves RelatesTo out: accepted whatever probe we sent.
    [
      'dahua-probe-match-no-relates.xml',
      'urn:uuid:probe-2',
      { name: 'Dahua', hardware: 'IPC-HDW2431T-AS-S2' },
    ],
  ])('%s → device', (file, relatesTo, want) => {
    const [d] = parseProbeMatches(xml(file), '192.0.2.1:3702', relatesTo);
    expect(d).toMatchObject(want);
  });

  it('ignores a match that answers somebody else’s probe', () => {
    expect(parseProbeMatches(xml('hikvision-probe-match.xml'), 'x', 'urn:uuid:other')).toEqual([]);
  });
});
