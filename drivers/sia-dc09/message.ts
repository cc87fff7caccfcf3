import { decodeCp1252, encodeCp1252 } from './cp1252.js';

/**
 * The DC-09 message body (5.5.1): `"<id>"<seq>[R<rcvr>]L<line>[#<acct>][<data>][<x-data>]…_<timestamp>`.
 * The header is ASCII; data and extended data are text a panel may write in Windows-1252
 * (a field quirk: accents in zone names), so they are decoded as such, never as UTF-8.
 */

/** The message types this receiver handles; an encrypted one carries a leading `*` on the wire. */
export const MESSAGE_TYPES = ['SIA-DCS', 'ADM-CID', 'NULL'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface Dc09Header {
  /** The id token as sent, without `*`: `SIA-DCS`, `ADM-CID`, `NULL` or one this receiver does not know. */
  token: string;
  encrypted: boolean;
  /** Four digits, echoed in the answer. */
  seq: string;
  /** Receiver number after `R` as sent; `undefined` when the message has no `R` field. */
  receiver: string | undefined;
  /** Line (account prefix) after `L` as sent. */
  line: string;
  /** Account after `#` as sent; some panels put it only in the data block. */
  account: string | undefined;
  /** The bytes after `[`: hex when encrypted, else data, `]`, extended data and timestamp. */
  region: Buffer;
}

export interface XData {
  /** The identifier letter: `M` MAC address, `K` key change, `V` verification, `S` site text… */
  id: string;
  value: string;
}

export interface ClearContent {
  data: string;
  xdata: XData[];
  /** `HH:MM:SS,MM-DD-YYYY` as sent, without `_`. */
  timestamp: string | undefined;
}

const HEADER =
  /^"(\*?)([\x21\x23-\x7e]{1,16})"(\d{4})(?:R([0-9A-Fa-f]{0,6}))?L([0-9A-Fa-f]{0,6})(?:#([0-9A-Fa-f]{3,16}))?\[/;

export function isMessageType(token: string): token is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(token);
}

/** The header of a body whose CRC and length were right; `undefined` when it is not a DC-09 header. */
export function parseHeader(body: Buffer): Dc09Header | undefined {
  const head = body.toString('latin1', 0, Math.min(body.length, 64));
  const m = HEADER.exec(head);
  if (!m) return undefined;
  return {
    token: m[2] as string,
    encrypted: m[1] === '*',
    seq: m[3] as string,
    receiver: m[4],
    line: m[5] as string,
    account: m[6],
    region: body.subarray(m[0].length),
  };
}

const TIMESTAMP = /^\d{2}:\d{2}:\d{2},\d{2}-\d{2}-\d{4}$/;

/** Splits `data]` `[x-data]`… `_timestamp`; `undefined` when the bytes do not have that shape. */
export function parseClear(clear: Buffer): ClearContent | undefined {
  const close = clear.indexOf(0x5d);
  if (close === -1) return undefined;
  const dataBytes = clear.subarray(0, close);
  if (dataBytes.includes(0x5b)) return undefined;
  const xdata: XData[] = [];
  let pos = close + 1;
  while (clear[pos] === 0x5b) {
    const end = clear.indexOf(0x5d, pos + 1);
    if (end === -1 || end === pos + 1) return undefined;
    const value = clear.subarray(pos + 2, end);
    if (value.includes(0x5b)) return undefined;
    xdata.push({ id: String.fromCharCode(clear[pos + 1] as number), value: decodeCp1252(value) });
    pos = end + 1;
  }
  let timestamp: string | undefined;
  if (pos < clear.length) {
    if (clear[pos] !== 0x5f) return undefined;
    timestamp = clear.toString('latin1', pos + 1);
    if (!TIMESTAMP.test(timestamp)) return undefined;
  }
  return { data: decodeCp1252(dataBytes), xdata, timestamp };
}

/** The clear region of an outgoing message: `data]`, each `[x-data]`, then `_timestamp` if given. */
export function formatClear(data: string, xdata: readonly XData[], timestamp: string | undefined): Buffer {
  const x = xdata.map((d) => `[${d.id}${d.value}]`).join('');
  return encodeCp1252(`${data}]${x}${timestamp ? `_${timestamp}` : ''}`);
}

/** `"<id>"<seq>[R<rcvr>]L<line>[#<acct>][` — the header of an outgoing message or answer. */
export function formatHeader(h: {
  token: string;
  encrypted: boolean;
  seq: string;
  receiver?: string | undefined;
  line: string;
  account?: string | undefined;
}): string {
  const r = h.receiver !== undefined ? `R${h.receiver}` : '';
  const a = h.account !== undefined ? `#${h.account}` : '';
  return `"${h.encrypted ? '*' : ''}${h.token}"${h.seq}${r}L${h.line}${a}[`;
}
