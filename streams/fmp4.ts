/**
 * ISO-BMFF (fragmented MP4) parsing for a byte stream, as ffmpeg writes it with
 * `-movflags frag_keyframe+empty_moov+default_base_moof`: ftyp+moov once (the init segment), then
 * moof+mdat pairs (fragments). Only what the stream hub needs is read: the codec string, the video
 * timescale, each fragment's decode time and whether it starts with a sync sample.
 */

export class Fmp4Error extends Error {
  constructor(message: string) {
    super(`fmp4: ${message}`);
    this.name = 'Fmp4Error';
  }
}

export interface Box {
  type: string;
  /** Offset of the box header in the buffer it was read from. */
  start: number;
  /** Offset of the payload (after the header). */
  body: number;
  /** Offset just past the box. */
  end: number;
}

/** Reads the box header at `pos`; `undefined` when the header is not complete yet. */
export function readBoxHeader(buf: Buffer, pos: number): Box | undefined {
  if (buf.length - pos < 8) return undefined;
  let size = buf.readUInt32BE(pos);
  const type = buf.toString('latin1', pos + 4, pos + 8);
  let body = pos + 8;
  if (size === 1) {
    if (buf.length - pos < 16) return undefined;
    const large = buf.readBigUInt64BE(pos + 8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fmp4Error(`box ${type} is too large`);
    size = Number(large);
    body = pos + 16;
  } else if (size === 0) {
    // "Extends to the end of file" cannot be framed in a live stream.
    throw new Fmp4Error(`box ${type} has size 0 (to end of file), not allowed in a stream`);
  }
  if (size < body - pos) throw new Fmp4Error(`box ${type} has an impossible size ${size}`);
  if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Fmp4Error('lost box framing (type is not printable)');
  return { type, start: pos, body, end: pos + size };
}

/** The child boxes of a container payload `[from, to)`. */
export function children(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let pos = from;
  while (pos + 8 <= to) {
    const b = readBoxHeader(buf, pos);
    if (!b || b.end > to) throw new Fmp4Error(`truncated box inside container at ${pos}`);
    out.push(b);
    pos = b.end;
  }
  return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  return children(buf, parent.body, parent.end).find((b) => b.type === type);
}

function path(buf: Buffer, root: Box, types: string[]): Box | undefined {
  let cur: Box | undefined = root;
  for (const t of types) {
    if (!cur) return undefined;
    cur = child(buf, cur, t);
  }
  return cur;
}

export interface InitInfo {
  /** RFC 6381 codec, e.g. `avc1.64001f`. */
  codec: string;
  /** MIME type for MediaSource: `video/mp4; codecs="avc1.64001f"`. */
  mime: string;
  /** Media timescale of the video track (mdhd). */
  timescale: number;
  /** trex default sample flags, used when a fragment carries none of its own. */
  defaultSampleFlags: number;
  /** trex default sample duration (ticks), used when neither tfhd nor trun carries one. */
  defaultSampleDuration: number;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Reads codec, timescale and trex defaults from a moov box of the first video track. */
export function parseMoov(buf: Buffer, moov: Box): InitInfo {
  let defaultSampleFlags = 0;
  let defaultSampleDuration = 0;
  const trex = path(buf, moov, ['mvex', 'trex']);
  if (trex) {
    defaultSampleDuration = buf.readUInt32BE(trex.body + 12);
    defaultSampleFlags = buf.readUInt32BE(trex.body + 20);
  }
  for (const trak of children(buf, moov.body, moov.end).filter((b) => b.type === 'trak')) {
    const mdia = child(buf, trak, 'mdia');
    const hdlr = mdia && child(buf, mdia, 'hdlr');
    if (!mdia || !hdlr || buf.toString('latin1', hdlr.body + 8, hdlr.body + 12) !== 'vide') continue;
    const mdhd = child(buf, mdia, 'mdhd');
    if (!mdhd) throw new Fmp4Error('video track has no mdhd');
    const timescale = buf.readUInt32BE(mdhd.body + (buf[mdhd.body] === 1 ? 20 : 12));
    const stsd = path(buf, mdia, ['minf', 'stbl', 'stsd']);
    if (!stsd) throw new Fmp4Error('video track has no stsd');
    // stsd: full box header (4) + entry count (4), then sample entries.
    const entry = readBoxHeader(buf, stsd.body + 8);
    if (!entry) throw new Fmp4Error('stsd has no sample entry');
    const codec = sampleEntryCodec(buf, entry);
    return {
      codec,
      mime: `video/mp4; codecs="${codec}"`,
      timescale,
      defaultSampleFlags,
      defaultSampleDuration,
    };
  }
  throw new Fmp4Error('init segment has no video track');
}

function sampleEntryCodec(buf: Buffer, entry: Box): string {
  // VisualSampleEntry: 8 bytes SampleEntry + 70 bytes of visual fields before the child boxes.
  const inner = children(buf, entry.body + 78, entry.end);
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    const avcC = inner.find((b) => b.type === 'avcC');
    if (!avcC) throw new Fmp4Error(`${entry.type} sample entry has no avcC`);
    const p = avcC.body;
    return `${entry.type}.${hex2(buf[p + 1] ?? 0)}${hex2(buf[p + 2] ?? 0)}${hex2(buf[p + 3] ?? 0)}`;
  }
  if (entry.type === 'hvc1' || entry.type === 'hev1') {
    // Enough for MediaSource.isTypeSupported to answer (browsers without HEVC fall back to JPEG).
    const hvcC = inner.find((b) => b.type === 'hvcC');
    const level = hvcC ? (buf[hvcC.body + 12] ?? 0) : 0;
    return `${entry.type}.1.6.L${level}.B0`;
  }
  return entry.type;
}

export interface FragmentInfo {
  keyframe: boolean;
  /** tfdt baseMediaDecodeTime of the first track fragment, in the track's timescale. */
  decodeTime: number;
  sequence: number;
  /** Sum of the fragment's sample durations (ticks): where the next fragment's decode time should be. */
  duration: number;
  /** Samples (frames) in the fragment. */
  samples: number;
}

/**
 * Whether the first sample of a fragment is a sync sample: ISO 14496-12 sample flags carry
 * `sample_depends_on` (bits 24-25; 2 = depends on nothing, an I frame) and `sample_is_non_sync_sample`
 * (bit 16). ffmpeg writes 0x02000000 for key frames and 0x01010000 for the others.
 */
export function isSyncFlags(flags: number): boolean {
  const dependsOn = (flags >>> 24) & 3;
  const nonSync = (flags >>> 16) & 1;
  return dependsOn === 2 || (dependsOn !== 1 && nonSync === 0);
}

/** Reads a moof: sequence number, decode time, duration, sample count and the first sample's sync flag. */
export function parseMoof(
  buf: Buffer,
  moof: Box,
  /** The init segment's trex defaults, for fragments that carry none of their own. */
  d: { flags?: number; duration?: number } = {},
): FragmentInfo {
  const mfhd = child(buf, moof, 'mfhd');
  const sequence = mfhd ? buf.readUInt32BE(mfhd.body + 4) : 0;
  const traf = child(buf, moof, 'traf');
  if (!traf) throw new Fmp4Error('moof has no traf');
  const boxes = children(buf, traf.body, traf.end);
  const tfhd = boxes.find((b) => b.type === 'tfhd');
  const tfdt = boxes.find((b) => b.type === 'tfdt');
  const trun = boxes.find((b) => b.type === 'trun');
  let decodeTime = 0;
  if (tfdt) {
    decodeTime =
      buf[tfdt.body] === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4);
  }
  let flags = d.flags ?? 0;
  let sampleDuration = d.duration ?? 0;
  if (tfhd) {
    const tf = buf.readUInt32BE(tfhd.body) & 0xffffff;
    let p = tfhd.body + 8; // version/flags + track_ID
    if (tf & 0x01) p += 8; // base_data_offset
    if (tf & 0x02) p += 4; // sample_description_index
    if (tf & 0x08) {
      sampleDuration = buf.readUInt32BE(p);
      p += 4;
    }
    if (tf & 0x10) p += 4; // default_sample_size
    if (tf & 0x20) flags = buf.readUInt32BE(p);
  }
  let samples = 0;
  let duration = 0;
  if (trun) {
    const tr = buf.readUInt32BE(trun.body) & 0xffffff;
    samples = buf.readUInt32BE(trun.body + 4);
    let p = trun.body + 8;
    if (tr & 0x01) p += 4; // data_offset
    if (tr & 0x04) {
      flags = buf.readUInt32BE(p);
      p += 4;
    } else if (tr & 0x400 && samples > 0) {
      flags = buf.readUInt32BE(p + (tr & 0x100 ? 4 : 0) + (tr & 0x200 ? 4 : 0));
    }
    if (tr & 0x100) {
      const stride = 4 * [0x100, 0x200, 0x400, 0x800].filter((f) => tr & f).length;
      if (p + stride * samples > trun.end) throw new Fmp4Error('trun is shorter than its sample count');
      for (let i = 0; i < samples; i++) duration += buf.readUInt32BE(p + i * stride);
    } else duration = sampleDuration * samples;
  }
  return { keyframe: isSyncFlags(flags), decodeTime, sequence, duration, samples };
}

export interface ParsedInit extends InitInfo {
  data: Buffer;
}

export interface ParsedFragment extends FragmentInfo {
  data: Buffer;
}

export interface Fmp4Handlers {
  onInit(init: ParsedInit): void;
  onFragment(fragment: ParsedFragment): void;
}

/**
 * Splits a live fMP4 byte stream into the init segment (ftyp+moov) and fragments (moof+mdat,
 * with any styp/sidx/prft just before them). Feed it chunks as they come; it keeps only the
 * incomplete tail. A stream may restart with a new ftyp (a new init follows).
 */
export class Fmp4Splitter {
  /** Bytes not yet framed into boxes: chunks as they came, joined only once a box is complete. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes `parts` must hold before the next box can be read whole (its size, once its header came). */
  private need = 8;
  private head: Buffer[] = [];
  private moofInfo: FragmentInfo | undefined;
  private init: InitInfo | undefined;

  constructor(
    private readonly handlers: Fmp4Handlers,
    /** Refuses a single box larger than this (a broken stream must not eat memory). */
    private readonly maxBoxBytes = 64 * 1024 * 1024,
  ) {}

  get initInfo(): InitInfo | undefined {
    return this.init;
  }

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.partsBytes += chunk.length;
    // A box spread over many pipe reads is joined once, when its last byte has come.
    if (this.partsBytes < this.need) return;
    const buf = this.parts.length === 1 ? chunk : Buffer.concat(this.parts, this.partsBytes);
    let pos = 0;
    this.need = 8;
    for (;;) {
      const box = readBoxHeader(buf, pos);
      if (!box) {
        this.need = buf.length - pos < 8 ? 8 : 16;
        break;
      }
      if (box.end - box.start > this.maxBoxBytes)
        throw new Fmp4Error(`box ${box.type} of ${box.end - box.start} bytes is over the limit`);
      if (box.end > buf.length) {
        this.need = box.end - pos;
        break;
      }
      this.onBox(buf.subarray(box.start, box.end), box.type);
      pos = box.end;
    }
    // The tail is a view, not a copy: it is joined with the next chunks when its box is complete.
    const tail = pos === 0 ? buf : buf.subarray(pos);
    this.parts = tail.length > 0 ? [tail] : [];
    this.partsBytes = tail.length;
  }

  private onBox(data: Buffer, type: string): void {
    const local: Box = { type, start: 0, body: readBoxHeader(data, 0)?.body ?? 8, end: data.length };
    switch (type) {
      case 'ftyp':
        this.head = [data];
        this.init = undefined;
        this.moofInfo = undefined;
        return;
      case 'moov': {
        this.init = parseMoov(data, local);
        const init = Buffer.concat([...this.head, data]);
        this.head = [];
        this.handlers.onInit({ ...this.init, data: init });
        return;
      }
      case 'moof':
        if (!this.init) return; // joined mid-stream: wait for an init segment
        this.moofInfo = parseMoof(data, local, {
          flags: this.init.defaultSampleFlags,
          duration: this.init.defaultSampleDuration,
        });
        this.head.push(data);
        return;
      case 'mdat': {
        if (!this.moofInfo) return;
        const frag = Buffer.concat([...this.head, data]);
        const info = this.moofInfo;
        this.head = [];
        this.moofInfo = undefined;
        this.handlers.onFragment({ ...info, data: frag });
        return;
      }
      case 'styp':
      case 'sidx':
      case 'prft':
        if (this.init) this.head.push(data);
        return;
      default:
        // free, mfra, udta...: nothing a live consumer needs.
        return;
    }
  }
}
