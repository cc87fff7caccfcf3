/**
 * CRC-16/ARC as DC-09 (5.5.1.2) specifies it: polynomial 0x8005 reflected (0xA001), initial value 0,
 * no final XOR, over the bytes from the first `"` up to the byte before `<CR>`. Its catalogue check
 * value (the CRC of the ASCII "123456789") is 0xBB3D.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = (crc >>> 8) ^ (TABLE[(crc ^ b) & 0xff] as number);
  return crc;
}

/** Four upper-case hex digits, as the CRC and length fields are written. */
export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
