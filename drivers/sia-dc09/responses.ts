import { decryptRegion, encryptRegion, stripPad } from './crypto.js';
import { formatClear, formatHeader, parseClear } from './message.js';
import { formatTimestamp } from './timestamp.js';

/**
 * The receiver's answers (5.5.3). ACK echoes sequence, receiver, line and account, and is encrypted
 * (`*ACK`, with pad and timestamp) when the message was. NAK carries the receiver's time so the panel
 * can set its clock, is never encrypted, and names no account (`"NAK"0000R0L0A0[]_…`, the form
 * pysiaalarm and ioBroker.sia send). DUH says the message came through but cannot be handled.
 */
export interface EchoFields {
  seq: string;
  receiver: string | undefined;
  line: string;
  account: string | undefined;
}

export function ackBody(
  to: EchoFields,
  opts: { key?: Buffer | undefined; now: number; offsetMinutes?: number | undefined },
): Buffer {
  if (!opts.key) return Buffer.from(`${formatHeader({ token: 'ACK', encrypted: false, ...to })}]`, 'latin1');
  const clear = formatClear('', [], formatTimestamp(opts.now, opts.offsetMinutes));
  const head = formatHeader({ token: 'ACK', encrypted: true, ...to });
  return Buffer.from(head + encryptRegion(opts.key, clear), 'latin1');
}

export function nakBody(to: Pick<EchoFields, 'receiver' | 'line'>, now: number, offsetMinutes = 0): Buffer {
  const r = to.receiver || '0';
  const l = to.line || '0';
  return Buffer.from(`"NAK"0000R${r}L${l}A0[]_${formatTimestamp(now, offsetMinutes)}`, 'latin1');
}

export function duhBody(to: EchoFields): Buffer {
  return Buffer.from(`${formatHeader({ token: 'DUH', encrypted: false, ...to })}]`, 'latin1');
}

export interface ParsedReply {
  kind: 'ACK' | 'NAK' | 'DUH';
  encrypted: boolean;
  seq: string;
  receiver: string | undefined;
  line: string;
  account: string | undefined;
  /** The receiver's clock (`HH:MM:SS,MM-DD-YYYY`), on a NAK and an encrypted ACK. */
  timestamp: string | undefined;
}

const REPLY =
  /^"(\*?)(ACK|NAK|DUH)"(\d{4})(?:R([0-9A-Fa-f]{0,6}))?L([0-9A-Fa-f]{0,6})(?:#([0-9A-Fa-f]*)|A[0-9A-Fa-f]*)?\[/;

/** Reads an answer (the dialler's side); `undefined` when it is none of ACK, NAK, DUH or cannot be decrypted. */
export function parseReply(body: Buffer, key?: Buffer): ParsedReply | undefined {
  const text = body.toString('latin1');
  const m = REPLY.exec(text);
  if (!m) return undefined;
  const encrypted = m[1] === '*';
  const region = body.subarray(m[0].length);
  let clear: Buffer = region;
  if (encrypted) {
    if (!key) return undefined;
    try {
      const stripped = stripPad(decryptRegion(key, region.toString('latin1')));
      if (!stripped) return undefined;
      clear = stripped.clear;
    } catch {
      // A reply that does not decrypt is not this panel's: treat it as no reply at all.
      return undefined;
    }
  }
  const content = parseClear(clear);
  if (!content) return undefined;
  return {
    kind: m[2] as ParsedReply['kind'],
    encrypted,
    seq: m[3] as string,
    receiver: m[4],
    line: m[5] as string,
    account: m[6],
    timestamp: content.timestamp,
  };
}
