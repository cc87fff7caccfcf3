import { type Capabilities, type DeviceInformation, OnvifDevice } from './onvif-device.js';
import { OnvifEvents } from './onvif-events.js';
import { type MediaProfile, OnvifMedia, pickStreams } from './onvif-media.js';
import { OnvifPtz, type PtzPreset, resolvePreset } from './onvif-ptz.js';
import { PullPointMaintainer, type PullPointOptions } from './onvif-pullpoint-maintainer.js';
import { type Credentials, SoapClient } from './onvif-soap.js';
import { OnvifError } from './onvif-xml.js';

export interface OnvifCameraOptions {
  /** Device service URL, e.g. `http://10.0.0.5/onvif/device_service`. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
}

export interface OnvifCameraState {
  info: DeviceInformation;
  capabilities: Capabilities;
  profiles: MediaProfile[];
  main: MediaProfile;
  sub: MediaProfile;
  streamUris: { main: string; sub: string };
  snapshotUri?: string;
  clockOffsetMs: number;
}

/**
 * Inserts credentials into an RTSP/HTTP URI (cameras return URIs without them) — only when the URI
 * is on `ownHost`, the camera's own host: a reply naming another host gets no credentials.
 */
export function withCredentials(uri: string, cred: Credentials | undefined, ownHost?: string): string {
  if (!cred) return uri;
  try {
    const u = new URL(uri);
    if (u.username) return uri;
    if (ownHost !== undefined && u.hostname.toLowerCase() !== ownHost.toLowerCase()) return uri;
    u.username = encodeURIComponent(cred.username);
    u.password = encodeURIComponent(cred.password);
    return u.toString();
  } catch {
    return uri;
  }
}

/**
 * An ONVIF camera's capabilities composed from its services: a video source (profiles, stream
 * and snapshot URIs), PTZ presets and a PullPoint event source.
 */
export class OnvifCamera {
  readonly device: OnvifDevice;
  private readonly soap: SoapClient;
  private readonly cred: Credentials | undefined;
  private media: OnvifMedia | undefined;
  private ptz: OnvifPtz | undefined;
  private presetCache: PtzPreset[] | undefined;
  state: OnvifCameraState | undefined;

  constructor(private readonly opts: OnvifCameraOptions) {
    this.cred =
      opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : undefined;
    this.soap = new SoapClient({ credentials: this.cred, timeoutMs: opts.timeoutMs ?? 8000 });
    this.device = new OnvifDevice(this.soap, opts.url);
  }

  async connect(): Promise<OnvifCameraState> {
    try {
      await this.device.syncClock();
    } catch {
      // Tolerated: GetSystemDateAndTime is optional on some NVRs; digests then use our clock.
    }
    const capabilities = await this.device.capabilities();
    const info = await this.device.information();
    if (!capabilities.media) throw new OnvifError('camera has no media service', { url: this.opts.url });
    this.media = new OnvifMedia(this.soap, capabilities.media);
    this.ptz = capabilities.ptz ? new OnvifPtz(this.soap, capabilities.ptz) : undefined;
    const profiles = await this.media.profiles();
    const { main, sub } = pickStreams(profiles);
    const mainUri = await this.media.streamUri(main.token);
    const subUri = sub.token === main.token ? mainUri : await this.media.streamUri(sub.token);
    const snapshotUri = await this.media.snapshotUri(main.token);
    this.state = {
      info,
      capabilities,
      profiles,
      main,
      sub,
      streamUris: { main: mainUri, sub: subUri },
      ...(snapshotUri ? { snapshotUri } : {}),
      clockOffsetMs: this.soap.clockOffsetMs,
    };
    return this.state;
  }

  private need(): OnvifCameraState {
    if (!this.state) throw new OnvifError('camera is not connected', { url: this.opts.url });
    return this.state;
  }

  /** Stream URI with credentials: never log it unredacted. */
  streamUri(which: 'main' | 'sub'): string {
    return withCredentials(this.need().streamUris[which], this.cred, this.host);
  }

  /** The camera's own host name (of its configured device-service URL): credentials go only there. */
  get host(): string {
    return new URL(this.opts.url).hostname.toLowerCase();
  }

  get snapshotUri(): string | undefined {
    return this.state?.snapshotUri;
  }

  get credentials(): Credentials | undefined {
    return this.cred;
  }

  get hasPtz(): boolean {
    return this.ptz !== undefined;
  }

  async presets(): Promise<PtzPreset[]> {
    if (!this.ptz) throw new OnvifError('camera has no PTZ service', { url: this.opts.url });
    this.presetCache = await this.ptz.presets(this.ptzProfile().token);
    return this.presetCache;
  }

  async gotoPreset(preset: number | string): Promise<string> {
    if (!this.ptz) throw new OnvifError('camera has no PTZ service', { url: this.opts.url });
    let token = resolvePreset(this.presetCache ?? (await this.presets()), preset);
    // Presets may have been added on the camera since we cached them.
    token ??= resolvePreset(await this.presets(), preset);
    if (!token) throw new OnvifError(`camera has no preset ${preset}`, { preset });
    await this.ptz.gotoPreset(this.ptzProfile().token, token);
    return token;
  }

  private ptzProfile(): MediaProfile {
    const s = this.need();
    return s.profiles.find((p) => p.ptz) ?? s.main;
  }

  /** A PullPoint subscription kept alive until `stop()`; undefined when the camera has no events. */
  events(opts: PullPointOptions): PullPointMaintainer | undefined {
    const caps = this.need().capabilities;
    if (!caps.events || !caps.pullPoint) return undefined;
    const m = new PullPointMaintainer(new OnvifEvents(this.soap, caps.events), opts);
    m.start();
    return m;
  }
}
