import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_STRINGS } from '../../web/js/i18n-errors.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every error code the service answers with: `new HttpError(status, 'code', …)` anywhere under src/. */
function serverCodes(): string[] {
  const codes = new Set<string>();
  for (const f of files(SRC)) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/HttpError\(\s*\d{3},\s*'([a-z_]+)'/g)) codes.add(m[1]!);
  }
  // What the HTTP plumbing's refusals become (body-parser's errors, by their type).
  for (const m of readFileSync(join(SRC, 'api', 'body-errors.ts'), 'utf8').matchAll(/code: '([a-z_]+)'/g))
    codes.add(m[1]!);
  // Answered by the error handler itself rather than by a `new HttpError`.
  for (const c of ['bad_json', 'internal', 'not_found', 'bad_request']) codes.add(c);
  return [...codes].sort();
}

describe('every server error reads as a sentence in both languages', () => {
  const codes = serverCodes();

  it('finds the codes the service throws', () => {
    // A sanity floor: if the scan breaks, this test must not pass by finding nothing.
    expect(codes).toEqual(
      expect.arrayContaining(['unit_busy', 'unknown_unit', 'bad_range', 'forbidden', 'request_aborted']),
    );
  });

  it.each(codes.map((c) => [c]))('%s', (code) => {
    for (const lang of ['zh-CN', 'en'] as const)
      expect(ERROR_STRINGS[lang][`err_${code}`], `${lang} err_${code}`).toBeTruthy();
  });

  it.each([
    ['too_big_string'],
    ['too_small_string'],
    ['too_big_number'],
    ['too_small_number'],
    ['too_big_array'],
    ['too_small_array'],
    ['missing'],
    ['invalid_type'],
    ['invalid_format'],
    ['invalid_format_datetime'],
    ['invalid_value'],
    ['unrecognized_keys'],
    ['custom'],
  ])('validation issue %s', (issue) => {
    for (const lang of ['zh-CN', 'en'] as const) expect(ERROR_STRINGS[lang][`val_${issue}`]).toBeTruthy();
  });

  it('has the same keys in Chinese and English', () => {
    expect(Object.keys(ERROR_STRINGS.en).sort()).toEqual(Object.keys(ERROR_STRINGS['zh-CN']).sort());
  });
});
