import { formatContactId } from '../../drivers/sia-dc09/contact-id.js';
import { keyFromHex } from '../../drivers/sia-dc09/crypto.js';
import { Dc09Dialler, type OutgoingMessage } from '../../drivers/sia-dc09/dialler.js';
import { formatSiaData } from '../../drivers/sia-dc09/sia-data.js';
import { parseUtcOffset } from '../../drivers/sia-dc09/timestamp.js';
import type { Config } from '../config/schema.js';
import type { PanelConfig } from '../config/sections/panels.js';
import type { PanelEventType } from '../core/events.js';
import { SIA_CODES } from '../panels/cid-codes.js';

/** The Contact ID code a simulated panel reports for each event type. */
const TYPE_CID: Record<PanelEventType, string> = {
  panic: 'E120',
  intrusion: 'E130',
  fire: 'E110',
  duress: 'E121',
  medical: 'E100',
  tamper: 'E137',
  trouble: 'E300',
  restore: 'R130',
  arm: 'R401',
  disarm: 'E401',
  test: 'E602',
};

export interface Dc09SimOptions {
  panelId: string;
  url: string | undefined;
  account: string | undefined;
  key: string | undefined;
  line: string | undefined;
  receiver: string | undefined;
  format: string | undefined;
  type: PanelEventType | undefined;
  zone: string | undefined;
  cid: string | undefined;
  sia: string | undefined;
  seq: string | undefined;
}

/**
 * Where the receiver of this config listens, as `tcp://host:port` (0.0.0.0 is dialled on loopback).
 * A receiver on port 0 took a free one: the running service's `/api/health` names it.
 */
async function receiverUrl(config: Config): Promise<string> {
  if (!config.dc09)
    throw new Error('this config runs no DC-09 receiver (no top-level dc09): give --url tcp://host:port');
  const local = (h: string) => (h === '0.0.0.0' ? '127.0.0.1' : h);
  const host = local(config.dc09.host);
  if (config.dc09.port !== 0) return `tcp://${host}:${config.dc09.port}`;
  if (config.http.port === 0)
    throw new Error(
      'the receiver in this config picks a free port (dc09.port: 0) and so does http: give --url',
    );
  const health = `http://${local(config.http.host)}:${config.http.port}/api/health`;
  let port: unknown;
  try {
    const body = (await (await fetch(health)).json()) as { checks?: { dc09?: { port?: unknown } } };
    port = body.checks?.dc09?.port;
  } catch (err) {
    throw new Error(
      `the receiver picks a free port and the service at ${health} did not answer (${String(err)}): is it running? or give --url`,
    );
  }
  if (typeof port !== 'number')
    throw new Error(`the service at ${health} runs no DC-09 receiver: give --url`);
  return `tcp://${host}:${port}`;
}

/** A dialler set up like the configured panel, with command-line overrides. */
export async function dc09Dialler(
  config: Config,
  panel: PanelConfig | undefined,
  o: Dc09SimOptions,
): Promise<Dc09Dialler> {
  const url = new URL(o.url ?? (await receiverUrl(config)));
  if (url.protocol !== 'tcp:' && url.protocol !== 'udp:')
    throw new Error(`--url for --dc09 is tcp://host:port or udp://host:port, got "${o.url}"`);
  const account = o.account ?? panel?.dc09?.account;
  if (!account)
    throw new Error(`--account is required: panel ${o.panelId} has no dc09 account in the config`);
  const key = o.key ?? panel?.dc09?.key;
  const offset = panel?.dc09?.localTimeOffset ? parseUtcOffset(panel.dc09.localTimeOffset) : undefined;
  // A panel keeps counting across messages; this process starts afresh each run, so it starts
  // somewhere random: the same alarm sent again a minute later must not look like a repeat of the last.
  const firstSeq = o.seq !== undefined ? Number(o.seq) : 1 + Math.floor(Math.random() * 9999);
  if (!Number.isInteger(firstSeq) || firstSeq < 1 || firstSeq > 9999)
    throw new Error(`--seq is the first sequence number, 1 to 9999, got "${o.seq}"`);
  return new Dc09Dialler({
    firstSeq,
    host: url.hostname,
    port: Number(url.port),
    transport: url.protocol === 'udp:' ? 'udp' : 'tcp',
    account,
    line: o.line ?? panel?.dc09?.line ?? '0',
    receiver: o.receiver ?? panel?.dc09?.receiver,
    key: key ? keyFromHex(key) : undefined,
    form: panel?.dc09?.binaryCrc ? 'binary' : 'hex',
    clockOffsetMinutes: offset,
  });
}

/**
 * The message for an event: SIA-DCS with the SIA code of its Contact ID meaning (`--format sia`,
 * the default) or ADM-CID (`--format cid`, or a code SIA has no alias for, such as duress).
 */
export function dc09Message(account: string, o: Dc09SimOptions): OutgoingMessage & { code: string } {
  const zone = o.zone ?? '1';
  if (!/^\d{1,3}$/.test(zone))
    throw new Error(`--zone for --dc09 is a zone number of 1 to 3 digits, got "${zone}"`);
  if (o.sia !== undefined) {
    if (!/^[A-Z]{2}$/.test(o.sia))
      throw new Error(`--sia is a SIA event code of two capital letters, got "${o.sia}"`);
    return {
      type: 'SIA-DCS',
      data: formatSiaData({ account, area: '1', code: o.sia, address: zone.padStart(3, '0') }),
      code: o.sia,
    };
  }
  const cid = o.cid ?? TYPE_CID[o.type ?? 'test'];
  if (!/^[ER]\d{3}$/.test(cid)) throw new Error(`--cid is E or R and three digits, e.g. E120, got "${cid}"`);
  const format = o.format ?? 'sia';
  if (format !== 'sia' && format !== 'cid') throw new Error(`--format is sia or cid, got "${format}"`);
  const siaCode = Object.entries(SIA_CODES).find(([, c]) => c === cid)?.[0];
  if (format === 'sia' && siaCode) {
    return {
      type: 'SIA-DCS',
      data: formatSiaData({ account, area: '1', code: siaCode, address: zone.padStart(3, '0') }),
      code: siaCode,
    };
  }
  const data = formatContactId({
    account,
    qualifier: cid.startsWith('R') ? 'restore' : 'new',
    code: cid.slice(1),
    partition: '01',
    zone: zone.padStart(3, '0'),
  });
  return { type: 'ADM-CID', data, code: cid };
}
