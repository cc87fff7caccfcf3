import { crc16, hex4 } from './crc.js';

/**
 * DC-09 framing (5.5.1): `<LF><crc><0LLL><body><CR>`, where the body runs from the first `"` to the
 * byte before `<CR>`, `0LLL` is its length in hex and `<crc>` its CRC-16 as four hex digits. Some
 * brands (ioBroker.sia names Lupusec; field captures show OPAX) send the CRC as two binary bytes,
 * most significant first, instead: `form: 'binary'`.
 */
export type CrcForm = 'hex' | 'binary';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const ZERO = 0x30;
/** The length field is `0LLL`: a body is at most 0x0FFF bytes. */
export const MAX_BODY_BYTES = 0x0fff;

export interface Frame {
  body: Buffer;
  form: CrcForm;
}

export type FrameFault = 'bad_crc' | 'bad_length' | 'bad_frame';

export type SplitItem =
  | { frame: Frame }
  | {
      fault: FrameFault;
      detail: string /** Up to 64 bytes of what was dropped, for the log. */;
      sample: Buffer;
    };

export function encodeFrame(body: Buffer, form: CrcForm = 'hex'): Buffer {
  if (body.length > MAX_BODY_BYTES)
    throw new RangeError(`sia-dc09: a body is at most ${MAX_BODY_BYTES} bytes, got ${body.length}`);
  const crc = crc16(body);
  const crcField =
    form === 'hex' ? Buffer.from(hex4(crc), 'latin1') : Buffer.from([(crc >>> 8) & 0xff, crc & 0xff]);
  return Buffer.concat([
    Buffer.from([LF]),
    crcField,
    Buffer.from(hex4(body.length), 'latin1'),
    body,
    Buffer.from([CR]),
  ]);
}

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
const allHex = (buf: Buffer, from: number, to: number) => {
  for (let i = from; i < to; i++) if (!isHex(buf[i])) return false;
  return true;
};
/** Bytes a panel or a network stack leaves between frames (padding NULs, a stray CR/LF): not faults. */
const isFiller = (b: number) => b === 0 || b === CR || b === LF || b === 0x20;

interface Header {
  form: CrcForm;
  /** Offset of the body from the LF. */
  bodyAt: number;
  length: number;
}

/**
 * Recognises the header after an LF at `at`: hex form when the length's leading `0` is at +5 and the
 * body's `"` at +9, binary form when they are at +3 and +7. The two cannot be confused: in a hex
 * frame +7 is a length digit, never `"`. `undefined` while too few bytes have arrived; `null` when
 * the bytes are no DC-09 header.
 */
function header(buf: Buffer, at: number): Header | undefined | null {
  if (buf.length - at < 10) {
    // Enough to rule the header out early keeps a garbage stream from stalling the splitter.
    if (buf.length - at >= 4 && buf[at + 3] !== ZERO && !isHex(buf[at + 1])) return null;
    return undefined;
  }
  if (buf[at + 5] === ZERO && buf[at + 9] === QUOTE && allHex(buf, at + 1, at + 9)) {
    return { form: 'hex', bodyAt: 9, length: Number.parseInt(buf.toString('latin1', at + 6, at + 9), 16) };
  }
  if (buf[at + 3] === ZERO && buf[at + 7] === QUOTE && allHex(buf, at + 3, at + 7)) {
    return { form: 'binary', bodyAt: 7, length: Number.parseInt(buf.toString('latin1', at + 4, at + 7), 16) };
  }
  return null;
}

function frameCrc(buf: Buffer, at: number, form: CrcForm): number {
  if (form === 'hex') return Number.parseInt(buf.toString('latin1', at + 1, at + 5), 16);
  return ((buf[at + 1] as number) << 8) | (buf[at + 2] as number);
}

/**
 * Splits a byte stream (a TCP connection carries many messages) into frames. A frame whose CRC does
 * not match, or whose `<CR>` is not where its length says, is reported and dropped: the standard
 * wants no answer to it (C.2.3.5), and the panel repeats it. After a bad length the splitter resyncs
 * on the next LF, so one damaged frame does not take the ones behind it down.
 */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** After a bad length, the rest of that frame up to the next LF is dropped without a second report. */
  private resyncing = false;

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): SplitItem[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: SplitItem[] = [];
    let pos = 0;
    while (pos < this.buf.length) {
      const lf = this.buf.indexOf(LF, pos);
      const junkEnd = lf === -1 ? this.buf.length : lf;
      if (junkEnd > pos) {
        const junk = this.buf.subarray(pos, junkEnd);
        if (!this.resyncing && junk.some((b) => !isFiller(b)))
          out.push({ fault: 'bad_frame', detail: 'bytes outside a frame', sample: sample(junk) });
        pos = junkEnd;
        if (lf === -1) break;
      }
      this.resyncing = false;
      const h = header(this.buf, lf);
      if (h === undefined) break;
      if (h === null) {
        const next = this.buf.indexOf(LF, lf + 1);
        const end = next === -1 ? this.buf.length : next;
        const after = this.buf.subarray(lf, end);
        pos = end;
        // A stray LF (a CR LF line end) before the next frame is filler, not a broken frame.
        if (after.every(isFiller)) continue;
        out.push({
          fault: 'bad_frame',
          detail: 'no DC-09 header after LF',
          sample: sample(this.buf.subarray(lf, end)),
        });
        pos = end;
        continue;
      }
      const total = h.bodyAt + h.length + 1;
      if (this.buf.length - lf < total) {
        // A damaged length can claim more bytes than will ever come on a persistent connection, and
        // the panel's next message would be swallowed into it. A whole good frame after this LF ends
        // the wait: this one was cut short.
        const next = this.completeFrameAfter(lf);
        if (next === -1) break;
        out.push({
          fault: 'bad_length',
          detail: `length field says ${h.length} bytes, but a whole frame starts before them`,
          sample: sample(this.buf.subarray(lf, next)),
        });
        pos = next;
        continue;
      }
      if (this.buf[lf + total - 1] !== CR) {
        out.push({
          fault: 'bad_length',
          detail: `length field says ${h.length} bytes, but no CR follows them`,
          sample: sample(this.buf.subarray(lf, lf + total)),
        });
        pos = lf + 1;
        this.resyncing = true;
        continue;
      }
      const body = Buffer.from(this.buf.subarray(lf + h.bodyAt, lf + total - 1));
      const sent = frameCrc(this.buf, lf, h.form);
      const calc = crc16(body);
      if (sent !== calc) {
        out.push({
          fault: 'bad_crc',
          detail: `CRC field ${hex4(sent)} but the body's CRC is ${hex4(calc)}`,
          sample: sample(this.buf.subarray(lf, lf + total)),
        });
      } else {
        out.push({ frame: { body, form: h.form } });
      }
      pos = lf + total;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(pos));
    return out;
  }

  /** The next LF after `from` that starts a whole frame with a CR where its length says and a good CRC. */
  private completeFrameAfter(from: number): number {
    for (let at = this.buf.indexOf(LF, from + 1); at !== -1; at = this.buf.indexOf(LF, at + 1)) {
      const h = header(this.buf, at);
      if (!h) continue;
      const end = at + h.bodyAt + h.length;
      if (end >= this.buf.length || this.buf[end] !== CR) continue;
      if (frameCrc(this.buf, at, h.form) === crc16(this.buf.subarray(at + h.bodyAt, end))) return at;
    }
    return -1;
  }

  /** What is left when the stream ends (a UDP datagram, a closed connection): a frame cut short. */
  end(): SplitItem[] {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (rest.length === 0 || rest.every(isFiller)) return [];
    return [{ fault: 'bad_length', detail: 'frame cut short', sample: sample(rest) }];
  }
}

/** One datagram is one message (5.3): split it whole. */
export function splitDatagram(datagram: Buffer): SplitItem[] {
  const s = new FrameSplitter();
  return [...s.push(datagram), ...s.end()];
}

function sample(b: Buffer): Buffer {
  return Buffer.from(b.subarray(0, 64));
}
