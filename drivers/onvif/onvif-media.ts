import type { SoapClient } from './onvif-soap.js';
import { all, attr, child, escapeXml, int, OnvifError, path, text, type XmlNode } from './onvif-xml.js';

export interface MediaProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** The profile has a PTZ configuration: PTZ calls take this profile token. */
  ptz: boolean;
}

export function parseProfiles(body: XmlNode): MediaProfile[] {
  const r = child(body, 'GetProfilesResponse');
  if (!r) throw new OnvifError('GetProfiles: no GetProfilesResponse in body');
  return all(r, 'Profiles').map((p) => {
    const token = attr(p, 'token');
    if (!token) throw new OnvifError('GetProfiles: a profile has no token');
    const enc = child(p, 'VideoEncoderConfiguration');
    const out: MediaProfile = {
      token,
      name: text(p, 'Name') ?? token,
      ptz: child(p, 'PTZConfiguration') !== undefined,
    };
    const encoding = text(enc, 'Encoding');
    const width = int(text(enc, 'Resolution', 'Width'));
    const height = int(text(enc, 'Resolution', 'Height'));
    const fps = int(text(enc, 'RateControl', 'FrameRateLimit'));
    if (encoding) out.encoding = encoding;
    if (width !== undefined) out.width = width;
    if (height !== undefined) out.height = height;
    if (fps !== undefined) out.fps = fps;
    return out;
  });
}

/**
 * Main = the largest H.264/H.265 profile, sub = the smallest other one (falls back to main).
 * Profile order is not reliable: Axis lists profiles alphabetically, Dahua puts the sub stream
 * second, Hikvision names them "mainStream"/"subStream". Profiles with no video encoder
 * (audio-only or metadata-only, seen on Axis) are skipped; MJPEG is used only when nothing else is.
 */
export function pickStreams(profiles: MediaProfile[]): { main: MediaProfile; sub: MediaProfile } {
  const video = profiles.filter((p) => p.width !== undefined && p.height !== undefined);
  const coded = video.filter((p) => p.encoding !== 'JPEG');
  const pool = coded.length > 0 ? coded : video.length > 0 ? video : profiles;
  if (pool.length === 0) throw new OnvifError('camera has no media profiles');
  const area = (p: MediaProfile) => (p.width ?? 0) * (p.height ?? 0);
  const sorted = [...pool].sort((a, b) => area(b) - area(a));
  const main = sorted[0]!;
  const sub = sorted.length > 1 ? sorted[sorted.length - 1]! : main;
  return { main, sub };
}

export function parseMediaUri(
  body: XmlNode,
  response: 'GetStreamUriResponse' | 'GetSnapshotUriResponse',
): string {
  const uri = text(path(body, response, 'MediaUri'), 'Uri');
  const action = response.replace('Response', '');
  if (!uri) throw new OnvifError(`${action}: no MediaUri/Uri in body`);
  return uri;
}

export class OnvifMedia {
  constructor(
    private readonly soap: SoapClient,
    readonly url: string,
  ) {}

  async profiles(): Promise<MediaProfile[]> {
    return parseProfiles(await this.soap.call(this.url, 'GetProfiles', '<trt:GetProfiles/>'));
  }

  /** RTSP over TCP (`RTP-Unicast` + `RTSP`): the camera's URI, without credentials. */
  async streamUri(profileToken: string): Promise<string> {
    const body =
      '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>' +
      '<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>' +
      `<trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken></trt:GetStreamUri>`;
    return parseMediaUri(await this.soap.call(this.url, 'GetStreamUri', body), 'GetStreamUriResponse');
  }

  /** Undefined when the camera has no snapshot (ActionNotSupported / NoSnapshot faults). */
  async snapshotUri(profileToken: string): Promise<string | undefined> {
    try {
      const body = `<trt:GetSnapshotUri><trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken></trt:GetSnapshotUri>`;
      return parseMediaUri(await this.soap.call(this.url, 'GetSnapshotUri', body), 'GetSnapshotUriResponse');
    } catch (err) {
      if (err instanceof OnvifError && err.data['fault'] !== undefined) return undefined;
      throw err;
    }
  }
}
