import { createHash } from 'node:crypto';
import type { Dc09Event, Dc09Message } from '../../drivers/sia-dc09/pipeline.js';
import { eventKey, type NormalizedEvent } from '../core/events.js';
import { mapCid, mapSia } from './cid-codes.js';
import type { Dc09Account } from './dc09-accounts.js';

/**
 * The id part of a DC-09 message's event keys, before the core sees them. A panel repeats a message
 * it got no ACK for with the same sequence number and content, but (after a NAK it must, 5.5.3.2) a
 * new timestamp; and its sequence numbers run 0001…9999 and round again, and restart after a reboot.
 * So the id is the sequence number, a digest of what the message says (type, data, extended data —
 * never the timestamp or the pad) and the receive-time window it fell in: a repeat inside the window
 * (or the one before, which the module checks) is the same event, and the same sequence number and
 * content some windows later is a new one.
 */
export function messageIds(
  msg: Dc09Message<Dc09Account>,
  receivedMs: number,
  windowMs: number,
): { current: string; previous: string } {
  const h = createHash('sha256').update(msg.type).update('\n').update(msg.content.data);
  for (const x of msg.content.xdata) h.update(`\n[${x.id}${x.value}]`);
  const digest = h.digest('hex').slice(0, 12);
  const bucket = Math.floor(receivedMs / windowMs);
  return { current: `${msg.seq}.${digest}.${bucket}`, previous: `${msg.seq}.${digest}.${bucket - 1}` };
}

export function dc09Key(panelId: string, id: string, index: number): string {
  return eventKey('sia', panelId, index === 0 ? id : `${id}.${index}`);
}

/** A panel clock further off than this is not trusted for the event time (the receive time is used). */
const MAX_CLOCK_SKEW_MS = 24 * 3600_000;
const OPEN_CLOSE = /^[ER]4\d\d$/;

/** Zone and user numbers as the config writes them: `005` is zone `5`. */
function number(digits: string | undefined): string | undefined {
  if (digits === undefined || digits === '') return undefined;
  return /^\d+$/.test(digits) ? String(Number.parseInt(digits, 10)) : digits;
}

interface Meaning {
  type: NormalizedEvent['type'];
  cid: string | undefined;
  detail: Record<string, unknown>;
  /** Zone, or user for openings and closings. */
  address: string | undefined;
}

function meaning(e: Dc09Event): Meaning {
  if (e.format === 'SIA') {
    const m = mapSia(e.code);
    const detail: Record<string, unknown> = { siaCode: e.code };
    if (e.area !== undefined) detail['area'] = e.area;
    if (e.user !== undefined) detail['user'] = number(e.user);
    if (e.text !== undefined) detail['text'] = e.text;
    // An unknown code is stored as a trouble an operator sees, never dropped: it may be an alarm.
    if (!m)
      return {
        type: 'trouble',
        cid: undefined,
        detail: { ...detail, reason: 'unknown_code' },
        address: e.address,
      };
    return { type: m.type, cid: m.cid, detail: { ...m.detail, ...detail }, address: e.address };
  }
  const cid = `${e.qualifier === 'restore' ? 'R' : 'E'}${e.code}`;
  const m = mapCid(cid);
  const detail: Record<string, unknown> = {};
  if (e.partition !== '00') detail['area'] = e.partition;
  if (e.qualifier === 'status') detail['status'] = true;
  if (!m)
    return {
      type: 'trouble',
      cid,
      detail: { ...detail, reason: 'unknown_code', cidUnknown: true },
      address: e.zone,
    };
  return { type: m.type, cid, detail: { ...m.detail, ...detail }, address: e.zone };
}

/** The normalized events of a message whose id was chosen by the module (`messageIds`). */
export function toNormalizedDc09(
  msg: Dc09Message<Dc09Account>,
  id: string,
  receivedAt: Date,
): NormalizedEvent[] {
  const { panelId, site } = msg.policy;
  const received = receivedAt.getTime();
  const trusted = msg.timestamp !== undefined && Math.abs(msg.timestamp - received) <= MAX_CLOCK_SKEW_MS;
  const ts = new Date(trusted ? (msg.timestamp as number) : received).toISOString();
  const wire = {
    format: msg.type,
    account: msg.account,
    seq: msg.seq,
    line: msg.line,
    ...(msg.receiver !== undefined ? { receiver: msg.receiver } : {}),
    encrypted: msg.encrypted,
    ...(msg.content.timestamp !== undefined ? { panelTime: msg.content.timestamp } : {}),
    ...(msg.content.xdata.length > 0
      ? { xdata: Object.fromEntries(msg.content.xdata.map((x) => [x.id, x.value])) }
      : {}),
  };
  return msg.events.map((e, i) => {
    const m = meaning(e);
    const detail: Record<string, unknown> = { ...m.detail, dc09: wire };
    const out: NormalizedEvent = {
      key: dc09Key(panelId, id, i),
      source: 'sia',
      device: panelId,
      site,
      type: m.type,
      ts,
      receivedAt: receivedAt.toISOString(),
      detail,
    };
    if (m.cid !== undefined) out.cid = m.cid;
    const address = number(m.address);
    if (m.cid !== undefined && OPEN_CLOSE.test(m.cid)) {
      // Openings and closings carry the user in the zone field (Contact ID) or the address (SIA).
      if (address !== undefined && detail['user'] === undefined) detail['user'] = address;
    } else if (address !== undefined) {
      out.zone = address;
    }
    return out;
  });
}
