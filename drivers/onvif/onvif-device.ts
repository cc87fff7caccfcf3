import type { SoapClient } from './onvif-soap.js';
import { child, int, OnvifError, path, text, type XmlNode } from './onvif-xml.js';

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface Capabilities {
  device?: string;
  media?: string;
  ptz?: string;
  events?: string;
  /** Events service offers PullPoint (`WSPullPointSupport`); unknown counts as yes. */
  pullPoint: boolean;
}

export function parseDeviceInformation(body: XmlNode): DeviceInformation {
  const r = child(body, 'GetDeviceInformationResponse');
  if (!r) throw new OnvifError('GetDeviceInformation: no GetDeviceInformationResponse in body');
  return {
    manufacturer: text(r, 'Manufacturer') ?? '',
    model: text(r, 'Model') ?? '',
    firmwareVersion: text(r, 'FirmwareVersion') ?? '',
    serialNumber: text(r, 'SerialNumber') ?? '',
    // Optional in practice: some Dahua firmware omit HardwareId.
    hardwareId: text(r, 'HardwareId') ?? '',
  };
}

/**
 * XAddrs of the services we use. Vendors answer `All` with whatever they have: a camera without PTZ
 * leaves `PTZ` out, an NVR may put Events under `Extension`.
 */
export function parseCapabilities(body: XmlNode): Capabilities {
  const caps = path(body, 'GetCapabilitiesResponse', 'Capabilities');
  if (!caps) throw new OnvifError('GetCapabilities: no Capabilities in body');
  const xaddr = (name: string) => text(caps, name, 'XAddr') ?? text(caps, 'Extension', name, 'XAddr');
  const out: Capabilities = { pullPoint: true };
  const device = xaddr('Device');
  const media = xaddr('Media');
  const ptz = xaddr('PTZ');
  const events = xaddr('Events');
  if (device) out.device = device;
  if (media) out.media = media;
  if (ptz) out.ptz = ptz;
  if (events) out.events = events;
  const pp = text(caps, 'Events', 'WSPullPointSupport');
  if (pp !== undefined) out.pullPoint = pp === 'true' || pp === '1';
  return out;
}

/** Camera UTC clock from GetSystemDateAndTime. */
export function parseSystemDateAndTime(body: XmlNode): Date {
  const dt = path(body, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime');
  if (!dt) throw new OnvifError('GetSystemDateAndTime: no SystemDateAndTime in body');
  // Cameras set to local time without NTP may send only LocalDateTime; UTC is preferred when present.
  const at = child(dt, 'UTCDateTime') ?? child(dt, 'LocalDateTime');
  const d = child(at, 'Date');
  const t = child(at, 'Time');
  const y = int(text(d, 'Year'));
  const mo = int(text(d, 'Month'));
  const da = int(text(d, 'Day'));
  if (y === undefined || mo === undefined || da === undefined)
    throw new OnvifError('GetSystemDateAndTime: date missing');
  return new Date(
    Date.UTC(
      y,
      mo - 1,
      da,
      int(text(t, 'Hour')) ?? 0,
      int(text(t, 'Minute')) ?? 0,
      int(text(t, 'Second')) ?? 0,
    ),
  );
}

/**
 * Device service calls. XAddrs that cameras return name the address they think they have (often a
 * LAN IP behind NAT, or 0.0.0.0 on some Uniview firmware); `rebase` maps them to the host we reached.
 */
export class OnvifDevice {
  constructor(
    private readonly soap: SoapClient,
    readonly url: string,
  ) {}

  /** Unauthenticated by the standard (so a skewed clock can be measured before the first digest). */
  async systemTime(): Promise<Date> {
    const body = await this.soap.call(this.url, 'GetSystemDateAndTime', '<tds:GetSystemDateAndTime/>', {
      auth: false,
    });
    return parseSystemDateAndTime(body);
  }

  /** Measures the camera clock so WS-Security `Created` stays inside its replay window. */
  async syncClock(): Promise<number> {
    const before = Date.now();
    const cam = await this.systemTime();
    const offset = cam.getTime() - Math.round((before + Date.now()) / 2);
    // Within 5 s is within every vendor's window; don't chase sub-second noise.
    this.soap.clockOffsetMs = Math.abs(offset) > 5000 ? offset : 0;
    return this.soap.clockOffsetMs;
  }

  async information(): Promise<DeviceInformation> {
    return parseDeviceInformation(
      await this.soap.call(this.url, 'GetDeviceInformation', '<tds:GetDeviceInformation/>'),
    );
  }

  async capabilities(): Promise<Capabilities> {
    const caps = parseCapabilities(
      await this.soap.call(
        this.url,
        'GetCapabilities',
        '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>',
      ),
    );
    for (const k of ['device', 'media', 'ptz', 'events'] as const) {
      const v = caps[k];
      if (v) caps[k] = rebase(v, this.url);
    }
    return caps;
  }
}

/** Keeps the path of `xaddr` but the scheme, host and port of the URL we actually reached. */
export function rebase(xaddr: string, reached: string): string {
  try {
    const x = new URL(xaddr);
    const r = new URL(reached);
    x.protocol = r.protocol;
    x.host = r.host;
    return x.toString();
  } catch {
    return xaddr;
  }
}
