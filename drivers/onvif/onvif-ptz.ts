import type { SoapClient } from './onvif-soap.js';
import { all, attr, child, escapeXml, OnvifError, text, type XmlNode } from './onvif-xml.js';

export interface PtzPreset {
  token: string;
  name: string;
}

export function parsePresets(body: XmlNode): PtzPreset[] {
  const r = child(body, 'GetPresetsResponse');
  if (!r) throw new OnvifError('GetPresets: no GetPresetsResponse in body');
  return all(r, 'Preset').flatMap((p) => {
    const token = attr(p, 'token');
    // Hikvision lists all 256 preset slots, unset ones without a name; Dahua omits Name when unset.
    if (!token) return [];
    return [{ token, name: text(p, 'Name') ?? token }];
  });
}

/** Checks that the body answers `action` (GotoPreset and friends have empty responses). */
export function expectResponse(body: XmlNode, action: string): void {
  if (!child(body, `${action}Response`)) throw new OnvifError(`${action}: no ${action}Response in body`);
}

/** PTZ service: presets of one media profile. */
export class OnvifPtz {
  constructor(
    private readonly soap: SoapClient,
    readonly url: string,
  ) {}

  async presets(profileToken: string): Promise<PtzPreset[]> {
    return parsePresets(
      await this.soap.call(
        this.url,
        'GetPresets',
        `<tptz:GetPresets><tptz:ProfileToken>${escapeXml(profileToken)}</tptz:ProfileToken></tptz:GetPresets>`,
      ),
    );
  }

  /**
   * Goes to a preset. Config names presets by number (zone → preset 3); cameras use tokens that are
   * usually the number ("3" on Hikvision/Dahua) but may be arbitrary ("Preset3", UUIDs on Axis),
   * so `resolvePreset` maps a number to a token through the preset list.
   */
  async gotoPreset(profileToken: string, presetToken: string): Promise<void> {
    const body =
      `<tptz:GotoPreset><tptz:ProfileToken>${escapeXml(profileToken)}</tptz:ProfileToken>` +
      `<tptz:PresetToken>${escapeXml(presetToken)}</tptz:PresetToken></tptz:GotoPreset>`;
    expectResponse(await this.soap.call(this.url, 'GotoPreset', body), 'GotoPreset');
  }
}

/** Preset number or token from config → the camera's token. */
export function resolvePreset(presets: PtzPreset[], wanted: number | string): string | undefined {
  const w = String(wanted);
  const exact = presets.find((p) => p.token === w);
  if (exact) return exact.token;
  const digits = presets.find((p) => p.token.replace(/\D+/g, '') === w || p.name === w);
  if (digits) return digits.token;
  // 1-based position, the way operators count presets on Axis where tokens are opaque.
  const n = Number(w);
  if (Number.isInteger(n) && n >= 1 && n <= presets.length) return presets[n - 1]?.token;
  return undefined;
}
