import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { all, child, OnvifError, parseXml, path, text, type XmlNode } from './onvif-xml.js';

export const WS_DISCOVERY = { address: '239.255.255.250', port: 3702 } as const;

export interface DiscoveredDevice {
  /** Endpoint reference, usually `urn:uuid:…`: stable across IP changes. */
  urn: string;
  /** Device service URLs (a camera with two NICs lists both). */
  xaddrs: string[];
  types: string[];
  scopes: string[];
  /** Name and hardware from the `onvif://www.onvif.org/name/…` and `/hardware/…` scopes. */
  name?: string;
  hardware?: string;
  /** Where the answer came from. */
  from: string;
}

export function probeMessage(messageId = `urn:uuid:${randomUUID()}`): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>${messageId}</a:MessageID>` +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>' +
    '</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
  );
}

function words(s: string | undefined): string[] {
  return (s ?? '').split(/\s+/).filter(Boolean);
}

function scopeValue(scopes: string[], kind: string): string | undefined {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const hit = scopes.find((s) => s.startsWith(prefix));
  return hit ? decodeURIComponent(hit.slice(prefix.length)) : undefined;
}

/** ProbeMatches → devices; `relatesTo` set → answers to other probes are ignored. */
export function parseProbeMatches(xml: string, from: string, relatesTo?: string): DiscoveredDevice[] {
  const doc: XmlNode = parseXml(xml);
  const header = path(doc, 'Envelope', 'Header');
  // Some Dahua firmware leave RelatesTo out of ProbeMatches: accept it then.
  const rel = text(header, 'RelatesTo');
  if (relatesTo && rel && rel !== relatesTo) return [];
  const matches = path(doc, 'Envelope', 'Body', 'ProbeMatches');
  if (!matches) return [];
  return all(matches, 'ProbeMatch').flatMap((m) => {
    const urn = text(child(m, 'EndpointReference'), 'Address');
    const xaddrs = words(text(m, 'XAddrs'));
    if (!urn || xaddrs.length === 0) return [];
    const scopes = words(text(m, 'Scopes'));
    const name = scopeValue(scopes, 'name');
    const hardware = scopeValue(scopes, 'hardware');
    return [
      {
        urn,
        xaddrs,
        types: words(text(m, 'Types')),
        scopes,
        ...(name ? { name } : {}),
        ...(hardware ? { hardware } : {}),
        from,
      },
    ];
  });
}

export interface DiscoverOptions {
  timeoutMs?: number;
  /** Send the multicast probe (default true). Container networks often drop multicast. */
  multicast?: boolean;
  /** Unicast probes to these hosts (a camera on another subnet, or a simulator). */
  targets?: Array<{ host: string; port?: number }>;
}

/** WS-Discovery Probe; resolves after `timeoutMs` with every device that answered, by URN. */
export async function discover(opts: DiscoverOptions = {}): Promise<DiscoveredDevice[]> {
  const messageId = `urn:uuid:${randomUUID()}`;
  const msg = Buffer.from(probeMessage(messageId));
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, DiscoveredDevice>();
  sock.on('message', (buf, rinfo) => {
    try {
      for (const d of parseProbeMatches(buf.toString('utf8'), `${rinfo.address}:${rinfo.port}`, messageId)) {
        if (!found.has(d.urn)) found.set(d.urn, d);
      }
    } catch {
      // Tolerated: other WS-Discovery traffic (printers, Windows hosts) answers too; not ours to parse.
    }
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, () => resolve());
  });
  const send = (host: string, port: number) =>
    new Promise<void>((resolve) => {
      sock.send(msg, port, host, () => resolve());
    });
  try {
    const sends: Promise<void>[] = [];
    if (opts.multicast !== false) sends.push(send(WS_DISCOVERY.address, WS_DISCOVERY.port));
    for (const t of opts.targets ?? []) sends.push(send(t.host, t.port ?? WS_DISCOVERY.port));
    if (sends.length === 0) throw new OnvifError('discover: nothing to probe (multicast off, no targets)');
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, opts.timeoutMs ?? 2000));
  } finally {
    sock.close();
  }
  return [...found.values()];
}
