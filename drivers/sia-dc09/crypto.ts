import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * DC-09 encryption (5.4): AES-128/192/256 in CBC mode with an all-zero IV, over the region after the
 * `[` — pad, `|`, data, `]`, extended data and timestamp — sent as hex. The pad (5.4.4) is 1 to 16
 * pseudo-random bytes, never `|`, `[` or `]`, so that the region is a multiple of 16 bytes; the `|`
 * after it ends the pad in every encrypted message.
 */
const ZERO_IV = Buffer.alloc(16);
const PIPE = 0x7c;
const RIGHT_BRACKET = 0x5d;

export class Dc09CryptoError extends Error {
  constructor(message: string) {
    super(`sia-dc09: ${message}`);
    this.name = 'Dc09CryptoError';
  }
}

/** An AES key from 32, 48 or 64 hex digits (AES-128, -192, -256). */
export function keyFromHex(hex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(hex))
    throw new Dc09CryptoError('an AES key is 32, 48 or 64 hex digits (AES-128, -192 or -256)');
  return Buffer.from(hex, 'hex');
}

function cipherName(key: Buffer): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32)
    throw new Dc09CryptoError(`an AES key is 16, 24 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-cbc`;
}

/** Pad bytes: random, with the three bytes the standard forbids moved to a neighbour. */
export function randomPad(n: number): Buffer {
  const pad = randomBytes(n);
  for (let i = 0; i < n; i++) {
    const b = pad[i] as number;
    if (b === PIPE || b === 0x5b || b === RIGHT_BRACKET) pad[i] = b ^ 0x01;
  }
  return pad;
}

/** Encrypts `clear` (everything after `[`: data, `]`, x-data, timestamp) into upper-case hex. */
export function encryptRegion(key: Buffer, clear: Buffer, pad: (n: number) => Buffer = randomPad): string {
  const padLength = 16 - ((clear.length + 1) % 16);
  const region = Buffer.concat([pad(padLength), Buffer.from([PIPE]), clear]);
  const cipher = createCipheriv(cipherName(key), key, ZERO_IV);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(region), cipher.final()])
    .toString('hex')
    .toUpperCase();
}

/** Decrypts the hex after `[` into the padded region (pad, `|`, clear text). */
export function decryptRegion(key: Buffer, hex: string): Buffer {
  if (hex.length === 0 || hex.length % 32 !== 0 || !/^[0-9a-fA-F]+$/.test(hex))
    throw new Dc09CryptoError(
      `encrypted data must be hex in whole 16-byte blocks, got ${hex.length} characters`,
    );
  const decipher = createDecipheriv(cipherName(key), key, ZERO_IV);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(hex, 'hex')), decipher.final()]);
}

/**
 * Removes the pad: everything up to the first `|`. Field quirk: some panels' encrypted NULL carries no
 * `|` (pysiaalarm's test line `"*NULL"0000R0L0#AAAB[…` decrypts to `ppppppppppp]_18:24:52,…`); then
 * the pad runs up to the `]` that closes the empty data. `undefined` when neither is there: the key
 * is wrong or the bytes are not DC-09.
 */
export function stripPad(region: Buffer): { clear: Buffer; terminated: boolean } | undefined {
  const pipe = region.indexOf(PIPE);
  if (pipe !== -1 && pipe <= 16) return { clear: region.subarray(pipe + 1), terminated: true };
  const bracket = region.indexOf(RIGHT_BRACKET);
  if (bracket !== -1 && bracket <= 16) return { clear: region.subarray(bracket), terminated: false };
  return undefined;
}
