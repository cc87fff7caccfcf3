import { describe, expect, it } from 'vitest';
import { decryptRegion, encryptRegion, keyFromHex, stripPad } from '../../../drivers/sia-dc09/crypto.js';
import { Dc09Dialler, type OutgoingMessage } from '../../../drivers/sia-dc09/dialler.js';
import { encodeFrame } from '../../../drivers/sia-dc09/frame.js';
import { parseClear } from '../../../drivers/sia-dc09/message.js';
import { parseReply } from '../../../drivers/sia-dc09/responses.js';
import { formatSiaData } from '../../../drivers/sia-dc09/sia-data.js';
import { formatTimestamp } from '../../../drivers/sia-dc09/timestamp.js';
import { onlyFrame, show, testPipeline } from './helpers.js';

const NOW = Date.parse('2026-11-23T08:00:00Z');
const KEYS = {
  'AES-128': '000102030405060708090A0B0C0D0E0F',
  'AES-192': '000102030405060708090A0B0C0D0E0F1011121314151617',
  'AES-256': '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F',
} as const;
const PANIC: OutgoingMessage = {
  type: 'SIA-DCS',
  data: formatSiaData({ account: '1234', area: '1', code: 'PA', address: '001' }),
};

/** A dialler used only to build frames (it never connects). */
const panel = (
  o: { key?: string; line?: string; receiver?: string; offset?: number; form?: 'hex' | 'binary' } = {},
) =>
  new Dc09Dialler({
    host: '127.0.0.1',
    port: 1,
    account: '1234',
    line: o.line ?? '1',
    receiver: o.receiver ?? '2',
    key: o.key ? keyFromHex(o.key) : undefined,
    clockOffsetMinutes: o.offset,
    form: o.form ?? 'hex',
  });

async function answer(frame: Buffer, accounts: Parameters<typeof testPipeline>[0], now = NOW) {
  const t = testPipeline(accounts, { now: () => now });
  const out = await t.pipeline.answer(onlyFrame(frame), 'test');
  return {
    ...t,
    out,
    reply: out
      ? parseReply(onlyFrame(out).body, accounts[0]?.keyHex ? keyFromHex(accounts[0].keyHex) : undefined)
      : undefined,
  };
}

describe('encryption', () => {
  it.each(Object.entries(KEYS))(
    '%s: a panic round-trips, and the ACK is encrypted with the same key',
    async (_name, key) => {
      const frame = panel({ key }).frame(PANIC, '0042', NOW);
      expect(frame.toString('latin1')).toMatch(/^\n[0-9A-F]{8}"\*SIA-DCS"0042R2L1#1234\[[0-9A-F]+\r$/);
      const { out, reply, handled } = await answer(frame, [{ account: '1234', keyHex: key }]);
      expect(handled[0]?.content.data).toBe('#1234|Nri1/PA001');
      expect(handled[0]?.events).toEqual([
        expect.objectContaining({ format: 'SIA', code: 'PA', address: '001', area: '1' }),
      ]);
      expect(show(out as Buffer)).toMatch(
        /^<0a>[0-9A-F]{4}[0-9A-F]{4}"\*ACK"0042R2L1#1234\[[0-9A-F]{64}<0d>$/,
      );
      expect(reply).toMatchObject({
        kind: 'ACK',
        encrypted: true,
        seq: '0042',
        timestamp: formatTimestamp(NOW),
      });
    },
  );

  it('pads every length to whole blocks with 1–16 bytes that are never | [ ]', () => {
    const key = keyFromHex(KEYS['AES-128']);
    for (let n = 0; n <= 48; n++) {
      const clear = Buffer.alloc(n, 0x41);
      const hex = encryptRegion(key, clear);
      const region = decryptRegion(key, hex);
      expect(region.length % 16, `clear ${n}`).toBe(0);
      const bar = region.indexOf(0x7c);
      expect(bar, `clear ${n}`).toBe(region.length - n - 1);
      expect(bar).toBeGreaterThanOrEqual(1);
      expect(bar).toBeLessThanOrEqual(16);
      expect(region.subarray(0, bar).some((b) => b === 0x5b || b === 0x5d)).toBe(false);
      expect(stripPad(region)?.clear.equals(clear)).toBe(true);
    }
  });

  it.each([['ABC'], ['00'.repeat(15)], ['zz'.repeat(16)]])(
    'refuses a key %j that is not 16/24/32 bytes of hex',
    (hex) => {
      expect(() => keyFromHex(hex)).toThrow(/32, 48 or 64 hex digits/);
    },
  );
});

describe('answers', () => {
  const CLEAR = [{ account: '1234' }];
  const KEYED = [{ account: '1234', keyHex: KEYS['AES-128'] }];

  it('ACKs a clear panic with the exact echo of sequence, receiver, line and account', async () => {
    const { out, outcomes } = await answer(panel().frame(PANIC, '0007', NOW), CLEAR);
    const body = '"ACK"0007R2L1#1234[]';
    expect(show(out as Buffer)).toBe(show(encodeFrame(Buffer.from(body))));
    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'ack', account: '1234', seq: '0007' })]);
  });

  it.each([
    ['41 s old', -41_000, 'nak', 'time_window'],
    ['21 s ahead', 21_000, 'nak', 'time_window'],
    ['39 s old', -39_000, 'ack', undefined],
    ['19 s ahead', 19_000, 'ack', undefined],
  ])('an encrypted message %s is answered %s', async (_what, skew, outcome, reason) => {
    const { out, outcomes, handled } = await answer(
      panel({ key: KEYS['AES-128'] }).frame(PANIC, '0008', NOW + skew),
      KEYED,
    );
    expect([outcomes[0]?.outcome, outcomes[0]?.reason]).toEqual([outcome, reason]);
    expect(handled).toHaveLength(outcome === 'ack' ? 1 : 0);
    if (outcome === 'nak') {
      // Never encrypted, the receiver's time for the panel to set its clock by.
      expect(show(out as Buffer)).toBe(
        show(encodeFrame(Buffer.from(`"NAK"0000R2L1A0[]_${formatTimestamp(NOW)}`))),
      );
    }
  });

  it('a clear message with an old timestamp is not NAKed: only encrypted ones are time-checked', async () => {
    const { outcomes } = await answer(panel().frame(PANIC, '0009', NOW - 3600_000), CLEAR);
    expect(outcomes[0]?.outcome).toBe('ack');
  });

  it('NAKs a replay: the same encrypted message again inside the window', async () => {
    const t = testPipeline(KEYED, { now: () => NOW });
    const frame = onlyFrame(panel({ key: KEYS['AES-128'] }).frame(PANIC, '0010', NOW - 1000));
    await t.pipeline.answer(frame, 'a');
    const second = await t.pipeline.answer(frame, 'attacker');
    expect(t.outcomes.map((o) => [o.outcome, o.reason])).toEqual([
      ['ack', undefined],
      ['nak', 'replay'],
    ]);
    expect(parseReply(onlyFrame(second as Buffer).body)?.kind).toBe('NAK');
    expect(t.handled).toHaveLength(1);
  });

  it('a message whose commit failed is no replay when the panel repeats it', async () => {
    let fail = true;
    const t = testPipeline(KEYED, {
      now: () => NOW,
      handle: async () => {
        if (fail) throw new Error('disk full');
        return 'ack';
      },
    });
    const frame = onlyFrame(panel({ key: KEYS['AES-128'] }).frame(PANIC, '0011', NOW));
    expect(await t.pipeline.answer(frame, 'a')).toBeUndefined();
    fail = false;
    expect(await t.pipeline.answer(frame, 'a')).toBeDefined();
    expect(t.outcomes.map((o) => o.outcome)).toEqual(['failed', 'ack']);
  });

  it('a panel sending local time (+08:00) is read and answered in its own clock', async () => {
    const accounts = [{ account: '1234', keyHex: KEYS['AES-128'], clockOffsetMinutes: 480 }];
    const ok = await answer(panel({ key: KEYS['AES-128'], offset: 480 }).frame(PANIC, '0012', NOW), accounts);
    expect(ok.outcomes[0]?.outcome).toBe('ack');
    expect(ok.handled[0]?.timestamp).toBe(NOW);
    expect(ok.reply?.timestamp).toBe(formatTimestamp(NOW, 480));
    // The same panel without the quirk configured is 8 hours off: NAK, in UTC.
    const off = await answer(panel({ key: KEYS['AES-128'], offset: 480 }).frame(PANIC, '0013', NOW), KEYED);
    expect(off.reply).toMatchObject({ kind: 'NAK', timestamp: formatTimestamp(NOW) });
  });

  it.each([
    [
      'an unknown account',
      panel().frame(PANIC, '0001', NOW),
      [{ account: '9999' }],
      'unknown_account',
      'unknown_account',
    ],
    [
      'clear text from an account with a key',
      panel().frame(PANIC, '0001', NOW),
      KEYED,
      'duh',
      'encryption_required',
    ],
    [
      'an encrypted message for an account without key',
      panel({ key: KEYS['AES-128'] }).frame(PANIC, '0001', NOW),
      CLEAR,
      'duh',
      'no_key',
    ],
    ['the wrong key', panel({ key: KEYS['AES-192'] }).frame(PANIC, '0001', NOW), KEYED, 'duh', 'decrypt'],
    [
      'an unknown message type',
      panel().frame({ type: 'SIA-DCX' as 'SIA-DCS', data: '#1234|NPA1' }, '0001', NOW),
      CLEAR,
      'duh',
      'unknown_type',
    ],
    [
      'unreadable SIA data',
      panel().frame({ type: 'SIA-DCS', data: '#1234|N!!' }, '0001', NOW),
      CLEAR,
      'duh',
      'bad_data',
    ],
    [
      'unreadable Contact ID',
      panel().frame({ type: 'ADM-CID', data: '#1234|9130 01 001' }, '0001', NOW),
      CLEAR,
      'duh',
      'bad_data',
    ],
  ])('%s is answered DUH', async (_what, frame, accounts, outcome, reason) => {
    const { out, outcomes, handled } = await answer(frame, accounts);
    expect(outcomes[0]).toMatchObject({ outcome, reason });
    expect(handled).toHaveLength(0);
    expect(show(out as Buffer)).toMatch(/"DUH"0001R2L1#1234\[\]<0d>$/);
  });

  it('a binary CRC from an account not configured for it is dropped unanswered', async () => {
    const frame = panel({ form: 'binary' }).frame(PANIC, '0001', NOW);
    const no = await answer(frame, CLEAR);
    expect(no.out).toBeUndefined();
    expect(no.outcomes[0]).toMatchObject({ outcome: 'bad_crc', reason: 'crc_form' });
    const yes = await answer(frame, [{ account: '1234', binaryCrc: true }]);
    // Answered in the form it came in: LF, two CRC bytes, length.
    expect(yes.out?.[3]).toBe(0x30);
    expect(yes.out?.[7]).toBe(0x22);
    expect(yes.reply?.kind).toBe('ACK');
  });

  it('reads Windows-1252 extended data', async () => {
    const bytes = Buffer.concat([
      Buffer.from('"SIA-DCS"0001R2L1#1234[#1234|Nri1/BA003][SCaf', 'latin1'),
      Buffer.from([0xe9, 0x20, 0x80, 0x20, 0x93, 0x6f, 0x94]),
      Buffer.from(`]_${formatTimestamp(NOW)}`, 'latin1'),
    ]);
    const { handled } = await answer(encodeFrame(bytes), CLEAR);
    expect(handled[0]?.content.xdata).toEqual([{ id: 'S', value: 'Café € “o”' }]);
    expect(parseClear(Buffer.from('x]'))?.xdata).toEqual([]);
  });
});
