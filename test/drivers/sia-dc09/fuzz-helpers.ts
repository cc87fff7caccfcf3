import { formatContactId } from '../../../drivers/sia-dc09/contact-id.js';
import { keyFromHex } from '../../../drivers/sia-dc09/crypto.js';
import { Dc09Dialler } from '../../../drivers/sia-dc09/dialler.js';
import { encodeFrame } from '../../../drivers/sia-dc09/frame.js';
import { formatSiaData } from '../../../drivers/sia-dc09/sia-data.js';
import { PUBLISHED } from '../../fixtures/sia-dc09/published-frames.js';

/** mulberry32: a seeded PRNG, so a failing mutation can be replayed from its seed and index. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CRC-16/ARC bit by bit, written apart from the driver's table version: the fuzz test's own judge
 * of whether a mutated frame is still valid.
 */
export function crcBitwise(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/**
 * How many frames in the bytes hold up under the independent check: from an LF, a hex CRC and a
 * `0LLL` length, a `"`, then a CR exactly where the length says, and a CRC that matches.
 */
export function independentFrames(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) {
    const head = b.toString('latin1', i + 1, i + 9);
    if (!/^[0-9A-Fa-f]{4}0[0-9A-Fa-f]{3}$/.test(head) || b[i + 9] !== 0x22) continue;
    const end = i + 9 + Number.parseInt(head.slice(4), 16);
    if (b[end] !== 0x0d) continue;
    if (Number.parseInt(head.slice(0, 4), 16) === crcBitwise(b.subarray(i + 9, end))) n++;
  }
  return n;
}

export const FUZZ_KEY = '00112233445566778899AABBCCDDEEFF';

/** Valid frames of every kind to mutate: dialler-built (clear and encrypted) and published ones. */
export function seedFrames(port = 1, now = Date.now()): Buffer[] {
  const clear = new Dc09Dialler({ host: '127.0.0.1', port, account: '1234', line: '1', receiver: '2' });
  const enc = new Dc09Dialler({ host: '127.0.0.1', port, account: 'AB12', key: keyFromHex(FUZZ_KEY) });
  const sia = {
    type: 'SIA-DCS' as const,
    data: formatSiaData({ account: '1234', area: '1', code: 'PA', address: '001' }),
  };
  const cid = {
    type: 'ADM-CID' as const,
    data: formatContactId({ account: '1234', qualifier: 'new', code: '130', partition: '01', zone: '004' }),
  };
  return [
    clear.frame(sia, '0001', now),
    clear.frame(cid, '0002', now),
    clear.frame({ type: 'NULL' }, '0000', now),
    clear.frame(
      {
        type: 'SIA-DCS',
        data: '#1234|Nri1/BA01/BA02^Front door^',
        xdata: [{ id: 'M', value: '0026B9E4268B' }],
      },
      '0003',
      now,
    ),
    enc.frame({ ...sia, data: formatSiaData({ account: 'AB12', code: 'PA', address: '1' }) }, '0004', now),
    enc.frame({ type: 'NULL' }, '0000', now),
    ...PUBLISHED.filter((p) => p.frame[5] === 0x30).map((p) => p.frame),
  ];
}

export type Mutation = (b: Buffer, r: () => number) => Buffer;
const at = (b: Buffer, r: () => number) => Math.floor(r() * b.length);
const byte = (r: () => number) => Math.floor(r() * 256);

/** Byte-level damage a network, a buggy panel or an attacker could do. */
export const MUTATIONS: Record<string, Mutation> = {
  flipBit: (b, r) => {
    const c = Buffer.from(b);
    const i = at(c, r);
    c[i] = (c[i] as number) ^ (1 << Math.floor(r() * 8));
    return c;
  },
  replaceByte: (b, r) => {
    const c = Buffer.from(b);
    c[at(c, r)] = byte(r);
    return c;
  },
  insertByte: (b, r) => {
    const i = at(b, r);
    return Buffer.concat([b.subarray(0, i), Buffer.from([byte(r)]), b.subarray(i)]);
  },
  deleteByte: (b, r) => {
    const i = at(b, r);
    return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
  },
  truncate: (b, r) => b.subarray(0, at(b, r)),
  duplicateRun: (b, r) => {
    const i = at(b, r);
    const j = Math.min(b.length, i + 1 + Math.floor(r() * 16));
    return Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)]);
  },
  swapLength: (b, r) => {
    const c = Buffer.from(b);
    c.write((Math.floor(r() * 0x1000) | 0).toString(16).toUpperCase().padStart(4, '0'), 5, 'latin1');
    return c;
  },
};

/** Mutates the body only and writes a correct CRC and length around it: reaches the parser. */
export function mutateBody(frame: Buffer, r: () => number): Buffer {
  const body = frame.subarray(9, frame.length - 1);
  const names = Object.keys(MUTATIONS).filter((n) => n !== 'swapLength');
  const m = MUTATIONS[names[Math.floor(r() * names.length)] as string] as Mutation;
  const mutated = m(Buffer.from(body), r);
  return encodeFrame(mutated.subarray(0, 0x0fff));
}
