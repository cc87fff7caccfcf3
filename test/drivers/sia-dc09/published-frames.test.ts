import { describe, expect, it } from 'vitest';
import { parseContactId } from '../../../drivers/sia-dc09/contact-id.js';
import { crc16, hex4 } from '../../../drivers/sia-dc09/crc.js';
import { decryptRegion, keyFromHex, stripPad } from '../../../drivers/sia-dc09/crypto.js';
import { splitDatagram } from '../../../drivers/sia-dc09/frame.js';
import { parseClear, parseHeader } from '../../../drivers/sia-dc09/message.js';
import { parseSiaData } from '../../../drivers/sia-dc09/sia-data.js';
import { parseTimestamp } from '../../../drivers/sia-dc09/timestamp.js';
import { PUBLISHED, PUBLISHED_BROKEN, PUBLISHED_DATA } from '../../fixtures/sia-dc09/published-frames.js';
import { onlyFrame, show, testPipeline } from './helpers.js';

describe('published DC-09 frames, byte for byte', () => {
  it.each(PUBLISHED)('$name ($source): CRC, length, header', ({ frame, expect: x }) => {
    const f = onlyFrame(frame);
    expect(hex4(crc16(f.body))).toBe(x.crc);
    expect(f.body.length).toBe(x.length);
    expect(f.form).toBe(frame[5] === 0x30 ? 'hex' : 'binary');
    const h = parseHeader(f.body);
    expect(h).toMatchObject({
      token: x.type,
      encrypted: x.encrypted,
      seq: x.seq,
      line: x.line,
      receiver: x.receiver,
    });
  });

  it.each(PUBLISHED)(
    '$name ($source): answered with the exact ACK, events read',
    async ({ frame, account, expect: x }) => {
      // The receiver's clock a few seconds after the panel's, so encrypted frames fall in the window.
      const now = x.timestamp ? Date.parse(x.timestamp) + 3000 : Date.now();
      const { pipeline, handled, outcomes } = testPipeline([account], { now: () => now });
      const answer = await pipeline.answer(onlyFrame(frame), 'test');
      expect(outcomes.map((o) => o.outcome)).toEqual(['ack']);
      expect(answer).toBeDefined();
      if (Buffer.isBuffer(x.ack)) {
        expect(show(answer as Buffer)).toBe(show(x.ack));
      } else {
        const reply = onlyFrame(answer as Buffer);
        const text = reply.body.toString('latin1');
        expect(text.startsWith(x.ack.encryptedHeader)).toBe(true);
        const region = text.slice(x.ack.encryptedHeader.length);
        const clear = stripPad(decryptRegion(keyFromHex(account.keyHex as string), region));
        expect(clear?.terminated).toBe(true);
        const content = parseClear(clear?.clear as Buffer);
        expect(content?.data).toBe('');
        expect(parseTimestamp(content?.timestamp as string)).toBe(Math.floor(now / 1000) * 1000);
      }
      const m = handled[0];
      expect(m?.content.data).toBe(x.data);
      expect(m?.timestamp === undefined ? undefined : new Date(m.timestamp).toISOString()).toBe(x.timestamp);
      expect(m?.events).toEqual(x.events.map((e) => expect.objectContaining(e)));
    },
  );

  it.each(PUBLISHED_BROKEN)('$name ($source) is dropped as $fault, unanswered', async ({ frame, fault }) => {
    const items = splitDatagram(frame);
    expect(items.map((i) => ('fault' in i ? i.fault : 'frame'))).toEqual([fault]);
  });

  it.each(PUBLISHED_DATA)('data block "$data" ($source)', ({ data, events }) => {
    // The grammar's events carry no `format`; the pipeline adds it.
    expect(parseSiaData(data)?.events).toEqual(
      events.map(({ format: _, ...e }) => expect.objectContaining(e)),
    );
  });

  it.each([
    [
      '#12345A|1110 00 129',
      { account: '12345A', event: { qualifier: 'new', code: '110', partition: '00', zone: '129' } },
    ],
    [
      '10064|1602 00 000',
      { account: '10064', event: { qualifier: 'new', code: '602', partition: '00', zone: '000' } },
    ],
    [
      '#1234|3130 01 003',
      { account: '1234', event: { qualifier: 'restore', code: '130', partition: '01', zone: '003' } },
    ],
    [
      '#1234|6130 01 003',
      { account: '1234', event: { qualifier: 'status', code: '130', partition: '01', zone: '003' } },
    ],
    [
      '#1234|113001003',
      { account: '1234', event: { qualifier: 'new', code: '130', partition: '01', zone: '003' } },
    ],
  ])('Contact ID %s', (data, expected) => {
    expect(parseContactId(data)).toEqual(expected);
  });

  it.each([['#1234|2130 01 003'], ['#1234|1130 01'], ['#1234|E130 01 003'], ['#12G4|1130 01 003']])(
    'Contact ID %s is refused',
    (data) => {
      expect(parseContactId(data)).toBeUndefined();
    },
  );
});
