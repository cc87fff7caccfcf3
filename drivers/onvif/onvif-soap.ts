import { createHash, randomBytes } from 'node:crypto';
import { escapeXml, OnvifError, parseXml, path, text, type XmlNode } from './onvif-xml.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
} as const;

const PASSWORD_DIGEST =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const NONCE_B64 =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface Credentials {
  username: string;
  password: string;
}

/** WS-Security UsernameToken digest: Base64(SHA-1(nonce + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

export function usernameToken(cred: Credentials, now: Date, nonce: Buffer = randomBytes(16)): string {
  // Hikvision rejects `Created` with milliseconds on older firmware: send whole seconds.
  const created = `${now.toISOString().slice(0, 19)}Z`;
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(cred.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, created, cred.password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${NONCE_B64}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tptz="${NS.tptz}" ` +
    `xmlns:tev="${NS.tev}" xmlns:tt="${NS.tt}" xmlns:wsnt="${NS.wsnt}" xmlns:wsa="${NS.wsa}">` +
    `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** A SOAP fault, SOAP 1.2 (`Code/Value`, `Reason/Text`) or 1.1 (`faultcode`, `faultstring`) shaped. */
export interface SoapFault {
  code: string;
  subcode?: string;
  reason: string;
}

export function parseFault(doc: XmlNode): SoapFault | undefined {
  const fault = path(doc, 'Envelope', 'Body', 'Fault');
  if (!fault) return undefined;
  // Old Axis and some NVR firmware answer SOAP 1.1 faults even to SOAP 1.2 requests.
  const code = text(fault, 'Code', 'Value') ?? text(fault, 'faultcode') ?? 'unknown';
  const subcode =
    text(fault, 'Code', 'Subcode', 'Value') ?? text(fault, 'Code', 'Subcode', 'Subcode', 'Value');
  const reason = text(fault, 'Reason', 'Text') ?? text(fault, 'faultstring') ?? '';
  return { code: stripPrefix(code), ...(subcode ? { subcode: stripPrefix(subcode) } : {}), reason };
}

function stripPrefix(qname: string): string {
  return qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
}

/** Parses a SOAP response and returns its Body; a fault becomes an OnvifError carrying the fault. */
export function soapBody(xml: string, action: string): XmlNode {
  const doc = parseXml(xml);
  const fault = parseFault(doc);
  if (fault) {
    const what = fault.subcode ?? fault.code;
    throw new OnvifError(`${action} failed: ${what}${fault.reason ? ` (${fault.reason})` : ''}`, {
      action,
      fault,
    });
  }
  const body = path(doc, 'Envelope', 'Body');
  if (!body) throw new OnvifError(`${action}: response has no SOAP Body`, { action });
  return body;
}

export interface SoapClientOptions {
  credentials?: Credentials | undefined;
  timeoutMs?: number;
  /** Camera clock minus ours, ms: UsernameToken `Created` must be in the camera's time. */
  clockOffsetMs?: number;
}

/** Posts one SOAP 1.2 request to an ONVIF service address. */
export class SoapClient {
  clockOffsetMs: number;
  constructor(private readonly opts: SoapClientOptions = {}) {
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
  }

  async call(
    url: string,
    action: string,
    body: string,
    opts: { auth?: boolean; timeoutMs?: number; header?: string } = {},
  ): Promise<XmlNode> {
    const cred = this.opts.credentials;
    const header =
      (opts.auth !== false && cred ? usernameToken(cred, new Date(Date.now() + this.clockOffsetMs)) : '') +
      (opts.header ?? '');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
        body: envelope(body, header),
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new OnvifError(
        `${action}: ${hostOf(url)} unreachable`,
        { action, url: hostOf(url) },
        { cause: err },
      );
    }
    const xml = await res.text();
    if (!xml.trim()) {
      // Some Dahua firmware answers 401 with an empty body when WS-Security is wrong.
      throw new OnvifError(`${action} failed: HTTP ${res.status}`, { action, status: res.status });
    }
    return soapBody(xml, action);
  }
}

/** host:port only, so no path token or userinfo reaches an error message. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(bad url)';
  }
}
