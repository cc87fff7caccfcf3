/**
 * Windows-1252, which some panels use for zone names and text. It is Latin-1 except 0x80–0x9F. Node
 * 20's `TextDecoder('windows-1252')` decodes those as Latin-1 control characters (it treats the
 * label as Latin-1), so the € in "Café €" would vanish: the table is written out here instead.
 */
const HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];
const BYTE_OF = new Map<number, number>(HIGH.map((code, i) => [code, 0x80 + i]));

export function decodeCp1252(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b >= 0x80 && b <= 0x9f ? (HIGH[b - 0x80] as number) : b);
  return out;
}

/** Encodes text as Windows-1252; a character it cannot hold becomes `?`. */
export function encodeCp1252(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    const mapped = BYTE_OF.get(code);
    if (mapped !== undefined) out.push(mapped);
    else if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) out.push(code);
    else out.push(0x3f);
  }
  return Buffer.from(out);
}
