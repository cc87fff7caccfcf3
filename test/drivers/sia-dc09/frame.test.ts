import { describe, expect, it } from 'vitest';
import { crc16, hex4 } from '../../../drivers/sia-dc09/crc.js';
import {
  encodeFrame,
  FrameSplitter,
  type SplitItem,
  splitDatagram,
} from '../../../drivers/sia-dc09/frame.js';
import { formatTimestamp, parseTimestamp, parseUtcOffset } from '../../../drivers/sia-dc09/timestamp.js';
import { show } from './helpers.js';

const kinds = (items: SplitItem[]) =>
  items.map((i) => ('fault' in i ? i.fault : i.frame.body.toString('latin1')));

const NULL_BODY = Buffer.from('"NULL"0000R1L1#1234[]_08:00:00,11-23-2026', 'latin1');
const PANIC_BODY = Buffer.from('"SIA-DCS"0001R1L1#1234[#1234|Nri1/PA001]_08:00:01,11-23-2026', 'latin1');

describe('CRC-16/ARC', () => {
  it.each([
    // The CRC catalogue's check value for CRC-16/ARC.
    ['123456789', 0xbb3d],
    ['', 0x0000],
    // DC-09 annex example body (CE11).
    ['"SIA-DCS"9876R579BDFL789ABC#12345A[#12345A|NFA129]', 0xce11],
  ])('crc16(%j) = %s', (text, crc) => {
    expect(crc16(Buffer.from(text, 'latin1'))).toBe(crc);
  });
});

describe('framing', () => {
  it.each(['hex', 'binary'] as const)('encodes %s-CRC frames the splitter reads back', (form) => {
    const bytes = encodeFrame(PANIC_BODY, form);
    expect(bytes[0]).toBe(0x0a);
    expect(bytes[bytes.length - 1]).toBe(0x0d);
    const crc = crc16(PANIC_BODY);
    const head = form === 'hex' ? `${hex4(crc)}${hex4(PANIC_BODY.length)}` : undefined;
    if (head) expect(bytes.toString('latin1', 1, 9)).toBe(head);
    else expect([bytes[1], bytes[2]]).toEqual([crc >>> 8, crc & 0xff]);
    expect(splitDatagram(bytes)).toEqual([{ frame: { body: PANIC_BODY, form } }]);
  });

  it('reads frames split anywhere across TCP chunks, one byte at a time', () => {
    const stream = Buffer.concat([
      encodeFrame(NULL_BODY),
      encodeFrame(PANIC_BODY, 'binary'),
      encodeFrame(NULL_BODY),
    ]);
    const s = new FrameSplitter();
    const items: SplitItem[] = [];
    for (const b of stream) items.push(...s.push(Buffer.from([b])));
    expect(kinds(items)).toEqual([NULL_BODY, PANIC_BODY, NULL_BODY].map((b) => b.toString('latin1')));
    expect(s.pending).toBe(0);
  });

  it('ignores filler between frames but reports other junk, and keeps the frames around it', () => {
    const stream = Buffer.concat([
      Buffer.from('\0\r\n'),
      encodeFrame(NULL_BODY),
      Buffer.from('GET / HTTP/1.0'),
      encodeFrame(PANIC_BODY),
    ]);
    expect(kinds(new FrameSplitter().push(stream))).toEqual([
      NULL_BODY.toString('latin1'),
      'bad_frame',
      PANIC_BODY.toString('latin1'),
    ]);
  });

  it('drops a frame whose length is wrong and resyncs on the next one', () => {
    const bad = encodeFrame(PANIC_BODY);
    bad.write('0010', 5, 'latin1'); // length says 16 bytes; no CR there
    const items = new FrameSplitter().push(Buffer.concat([bad, encodeFrame(NULL_BODY)]));
    expect(kinds(items)).toEqual(['bad_length', NULL_BODY.toString('latin1')]);
  });

  it.each([
    ['a CRC digit', 2],
    ['a body byte', 20],
    ['the last body byte', -2],
  ])('drops a frame with %s changed as bad_crc, unanswered', (_what, at) => {
    const bytes = encodeFrame(PANIC_BODY);
    const i = at < 0 ? bytes.length + at : at;
    bytes[i] = (bytes[i] as number) ^ 0x01;
    expect(kinds(splitDatagram(bytes))).toEqual(['bad_crc']);
  });

  it('reports a frame cut short at the end of a datagram', () => {
    const bytes = encodeFrame(PANIC_BODY).subarray(0, 30);
    expect(kinds(splitDatagram(bytes))).toEqual(['bad_length']);
  });

  it('frames the smallest body exactly (CRC from an independent implementation)', () => {
    expect(show(encodeFrame(Buffer.from('"NULL"')))).toBe('<0a>4E0A0006"NULL"<0d>');
  });

  it('refuses to encode a body longer than 0x0FFF bytes', () => {
    expect(() => encodeFrame(Buffer.alloc(0x1000, 0x41))).toThrow(/at most 4095 bytes/);
  });
});

describe('timestamps', () => {
  it.each([
    ['08:00:01,11-23-2026', 0, '2026-11-23T08:00:01.000Z'],
    ['16:00:01,11-23-2026', 480, '2026-11-23T08:00:01.000Z'],
    ['00:30:00,01-01-2027', 480, '2026-12-31T16:30:00.000Z'],
    ['23:59:59,02-29-2028', 0, '2028-02-29T23:59:59.000Z'],
  ])('%s at UTC%s minutes is %s, and formats back', (text, offset, iso) => {
    const ms = parseTimestamp(text, offset);
    expect(new Date(ms as number).toISOString()).toBe(iso);
    expect(formatTimestamp(ms as number, offset)).toBe(text);
  });

  it.each([
    ['24:00:00,11-23-2026'],
    ['08:00:00,02-30-2026'],
    ['08:00:00,13-01-2026'],
    ['8:00:00,11-23-2026'],
    [''],
  ])('%j is no timestamp', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it.each([
    ['+08:00', 480],
    ['-03:30', -210],
    ['+00:00', 0],
    ['+15:00', undefined],
    ['08:00', undefined],
  ])('UTC offset %s is %s minutes', (text, minutes) => {
    expect(parseUtcOffset(text)).toBe(minutes);
  });
});

describe('a damaged length on a persistent connection', () => {
  it('does not swallow the good frames that follow it', () => {
    const bad = encodeFrame(PANIC_BODY);
    bad.write('0FFF', 5, 'latin1'); // claims 4095 bytes: they will never come
    const s = new FrameSplitter();
    expect(kinds(s.push(bad))).toEqual([]); // could still be a long frame: wait
    expect(kinds(s.push(encodeFrame(NULL_BODY)))).toEqual(['bad_length', NULL_BODY.toString('latin1')]);
    expect(s.pending).toBe(0);
  });
});
