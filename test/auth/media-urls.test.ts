import { describe, expect, it } from 'vitest';
import { MediaUrls } from '../../src/auth/media-urls.js';

const KEY = Buffer.alloc(32, 7);
const REF = 'a'.repeat(32);

function check(urls: MediaUrls, url: string) {
  const u = new URL(url, 'http://x');
  const raw = url.split('?')[0]!;
  return urls.verify(raw, u.searchParams, u.searchParams.get('token') ?? '');
}

describe('signed media URLs', () => {
  let t = Date.parse('2026-11-22T08:00:00Z');
  const urls = new MediaUrls(KEY, 60, () => t);

  it.each([
    '/live/cam-1?stream=sub&meta=1',
    '/api/live/cam-1/frame.jpg?stream=sub',
    '/api/cameras/cam-1/snapshot',
    '/api/recordings/play?camera=cam-1&from=2026-11-22T07:00:00.000Z&to=2026-11-22T07:01:00.000Z',
    '/api/clips/2b1c9a3e-0000-4000-8000-000000000000',
    '/api/clips/2b1c9a3e-0000-4000-8000-000000000000/snapshot',
    '/api/exports/abc/download',
    '/api/incidents/INC-20261122-0A1B2C3D/verification/frame',
  ])('signs and verifies %s for 60 s', (path) => {
    const { url, expiresAt } = urls.sign(REF, path);
    expect(url).toMatch(/[?&]token=m1\.a{32}\.\d{10}\.[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expiresAt) - t).toBe(60_000);
    expect(check(urls, url)).toMatchObject({ ok: true, ref: REF });
    // The cache busters t and ts are not signed: a poller adds them freely.
    expect(check(urls, `${url}&t=123&ts=456`)).toMatchObject({ ok: true });
  });

  it.each([
    ['/api/incidents', 'an API route that is not media'],
    ['/api/auth/login', 'the login route'],
    ['https://evil.example/live/cam-1', 'another origin'],
    ['//evil.example/live/cam-1', 'a protocol-relative URL'],
    ['live/cam-1', 'a relative path'],
    ['/api/clips/x/../../users', 'a path that leaves the media paths once resolved'],
  ])('refuses to sign %s (%s)', (path) => {
    expect(() => urls.sign(REF, path)).toThrow(expect.objectContaining({ status: 400, code: 'not_media' }));
  });

  it('binds the path, every other query parameter, the session and the expiry', () => {
    const { url } = urls.sign(REF, '/api/recordings/play?camera=cam-1&from=A&to=B');
    const cases: [string, string][] = [
      [url.replace('camera=cam-1', 'camera=cam-2'), 'media_url_invalid'],
      [url.replace('/api/recordings/play', '/api/recordings/play/'), 'media_url_invalid'],
      [`${url}&extra=1`, 'media_url_invalid'],
      [url.replace(`m1.${REF}`, `m1.${'b'.repeat(32)}`), 'media_url_invalid'],
      [url.replace(/\.(\d{10})\./, (_m, e: string) => `.${Number(e) + 1}.`), 'media_url_invalid'],
      [url.replace(/token=m1\.[^&]+/, 'token=m1.xyz'), 'media_url_malformed'],
    ];
    for (const [bad, code] of cases) expect(check(urls, bad)).toMatchObject({ ok: false, code });
    // The same URL with its parameters in another order still holds.
    const reordered = url.replace('camera=cam-1&from=A&to=B', 'to=B&camera=cam-1&from=A');
    expect(check(urls, reordered)).toMatchObject({ ok: true });
  });

  it('expires after its lifetime (5 s of clock skew allowed), and a key of another node does not verify', () => {
    const { url } = urls.sign(REF, '/live/cam-1');
    t += 64_000;
    expect(check(urls, url)).toMatchObject({ ok: true });
    t += 2_000;
    expect(check(urls, url)).toMatchObject({ ok: false, code: 'media_url_expired' });
    const other = new MediaUrls(Buffer.alloc(32, 8), 60, () => t);
    expect(check(other, other.sign(REF, '/live/cam-1').url)).toMatchObject({ ok: true });
    expect(check(urls, other.sign(REF, '/live/cam-1').url)).toMatchObject({
      ok: false,
      code: 'media_url_invalid',
    });
  });

  it('refuses a raw path with dot segments even when it resolves to the signed one', () => {
    const { url } = urls.sign(REF, '/live/cam-1');
    const u = new URL(url, 'http://x');
    expect(urls.verify('/live/x/../cam-1', u.searchParams, u.searchParams.get('token')!)).toMatchObject({
      ok: false,
      code: 'media_url_invalid',
    });
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new MediaUrls(Buffer.alloc(16), 60)).toThrow(/32 bytes/);
  });
});
