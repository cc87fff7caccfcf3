import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_VERIFY_LIMITS, verifyExport } from '../../streams/evidence-verify.js';
import { declareSize, signedExport, zipOf } from './evidence-zips.js';

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-verify-caps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keys = join(dir, 'keys');
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** The archives an attacker (or an accident) brings, each with the refusal it must get. */
const CASES: [string, () => Promise<string>, string][] = [
  [
    'a real zip bomb: 64 MiB of zeros deflated to ~64 KiB',
    () => zipOf(join(dir, 'bomb.zip'), [{ name: 'clips/x.mp4', data: Buffer.alloc(64 * 1024 * 1024) }]),
    'compression_ratio',
  ],
  [
    'a small zip whose headers declare 4 GiB',
    async () => {
      const f = await zipOf(join(dir, 'liar.zip'), [{ name: 'clips/x.mp4', data: Buffer.from('tiny') }]);
      declareSize(f, 0xfffffff0);
      return f;
    },
    'compression_ratio',
  ],
  [
    '1001 entries',
    () =>
      zipOf(
        join(dir, 'many.zip'),
        Array.from({ length: 1001 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x'), compress: false })),
      ),
    'too_many_entries',
  ],
  [
    'a 2 MiB manifest.json',
    () =>
      zipOf(join(dir, 'big-manifest.zip'), [
        { name: 'manifest.json', data: Buffer.alloc(2 * 1024 * 1024, 0x20), compress: false },
      ]),
    'entry_too_large',
  ],
  [
    'a 20 KiB .pub key',
    () =>
      zipOf(join(dir, 'big-key.zip'), [
        { name: 'site-ed25519.pub', data: Buffer.alloc(20 * 1024, 0x41), compress: false },
      ]),
    'entry_too_large',
  ],
  [
    'five .pub keys',
    () =>
      zipOf(
        join(dir, 'keys.zip'),
        Array.from({ length: 5 }, (_, i) => ({ name: `k${i}.pub`, data: Buffer.from('x') })),
      ),
    'too_many_keys',
  ],
  [
    'manifest.json twice',
    () =>
      zipOf(join(dir, 'dup.zip'), [
        { name: 'manifest.json', data: Buffer.from('{}') },
        { name: 'manifest.json', data: Buffer.from('{}') },
      ]),
    'duplicate_entry',
  ],
];

describe('capped export verification (streams/evidence-verify.ts)', () => {
  it('a signed export within the caps verifies', async () => {
    const res = await verifyExport(await signedExport(dir, keys));
    expect(res).toMatchObject({
      ok: true,
      signature: 'valid',
      problems: [],
      covers: { cameras: ['cam-shop'] },
    });
    expect(res.refused).toBeUndefined();
  });

  it.each(CASES.map(([what, make, code]) => ({ what, make, code })))(
    'refuses $what: $code',
    async ({ make, code }) => {
      const res = await verifyExport(await make());
      expect(res.ok).toBe(false);
      expect(res.refused?.code).toBe(code);
      expect(res.problems[0]).toMatch(/^refused: /);
    },
  );

  it('a total cap stops the inflating stream itself, not only the declared sizes', async () => {
    const f = await zipOf(join(dir, 'two.zip'), [
      { name: 'a.bin', data: Buffer.alloc(600 * 1024, 1), compress: false },
      { name: 'b.bin', data: Buffer.alloc(600 * 1024, 2), compress: false },
    ]);
    const res = await verifyExport(f, { limits: { maxTotalBytes: 1024 * 1024 } });
    expect(res.refused?.code).toBe('archive_too_large');
  });

  it('the limits are what the README says', () => {
    expect(DEFAULT_VERIFY_LIMITS).toEqual({
      maxEntries: 1000,
      maxManifestBytes: 1024 * 1024,
      maxSignatureBytes: 4096,
      maxKeyBytes: 16 * 1024,
      maxTotalBytes: 64 * 1024 ** 3,
      maxRatio: 100,
    });
  });

  it('`sharpeyes verify` has the same caps: a bomb is REFUSED, exit 1', async () => {
    const bomb = await CASES[1]![1]();
    const res = await run(process.execPath, [join(ROOT, 'bin', 'sharpeyes.js'), 'verify', bomb], {
      cwd: ROOT,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /^REFUSED: .*liar\.zip: clips\/x\.mp4 inflates .* \(more than 100:1\): refused as a zip bomb/m,
    );
  });
});
