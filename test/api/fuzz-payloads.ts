import { gzipSync } from 'node:zlib';

/** A small seeded PRNG (mulberry32): the same 600 requests on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

/** Path parameters that name nothing and try to break the decoder or escape the route. */
export const BAD_PARAMS = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '..%2F..%2Fetc%2Fpasswd',
  '..%252F..%252Fetc',
  '%00',
  'a'.repeat(4000),
  '%F0%9F%98%80',
  "'%20OR%201%3D1%20--",
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  'INC-00000000-00000000',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
  '%2e%2e',
];

/** Query strings a client gets wrong or an attacker tries. */
export const BAD_QUERIES = [
  '?%ZZ=1',
  '?limit=-1',
  '?limit=abc&offset=1e99',
  '?state=new&state=resolved',
  '?since=not-a-date&until=2026-13-45T99:99:99Z',
  '?x[y]=1&x[z]=2',
  '?camera=&from=&to=',
  `?q=${'x'.repeat(6000)}`,
  '?camera=cam-shop&from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z',
  '?token=not-a-session',
  '?token=m1.forged.0000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  '?month=2026-00&jurisdiction=%00',
  '?state=%F0%9F%98%80&limit=1.5',
  '?__proto__[admin]=1&constructor[prototype][x]=1',
];

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

export interface BadBody {
  what: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Not taken by the JSON parser at all (the route sees no body): only sent where nothing can be changed. */
  bypassesParser?: boolean;
}

const json = (s: string, extra: Record<string, string> = {}): BadBody => ({
  what: s.slice(0, 40),
  headers: { 'content-type': 'application/json', ...extra },
  body: Buffer.from(s),
});

/**
 * Bodies and body headers that must each be a clear 4xx: broken JSON, JSON of the wrong shape,
 * the charset/encoding/size cases of issue 15, and a gzip bomb.
 */
export const BAD_BODIES: BadBody[] = [
  json('{'),
  json('{"a":'),
  json('[]'),
  json('null'),
  json('"a string"'),
  json('123'),
  json('{"note": 5, "text": [], "unit": {}, "reason": null}'),
  json('{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}'),
  json('{"cameras": "cam-shop", "from": 1, "to": true, "reason": ""}'),
  json('{"urls": ["/api/incidents", "//evil.example/x"], "layout": 5}'),
  json(`{"text": "${'字'.repeat(5000)}", "extra": 1}`),
  json(deep(60_000)),
  {
    what: 'JSON over 256 KiB',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(`{"note":"${'x'.repeat(300 * 1024)}"}`),
  },
  {
    what: 'charset=latin1',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: Buffer.from('{"note":"caf\xe9"}', 'latin1'),
  },
  {
    what: 'charset=utf-7',
    headers: { 'content-type': 'application/json; charset=utf-7' },
    body: Buffer.from('{}'),
  },
  {
    what: 'gzip over a plain body',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: Buffer.from('{"note":"x"}'),
  },
  {
    what: 'br over a plain body',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    body: Buffer.from('{"note":"x"}'),
  },
  {
    what: 'deflate over a plain body',
    headers: { 'content-type': 'application/json', 'content-encoding': 'deflate' },
    body: Buffer.from('{"note":"x"}'),
  },
  {
    what: 'an unknown encoding',
    headers: { 'content-type': 'application/json', 'content-encoding': 'x-lzma' },
    body: Buffer.from('{}'),
  },
  {
    what: 'a gzip bomb (5 MiB of JSON in 5 KiB)',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.from(`{"note":"${'0'.repeat(5 * 1024 * 1024)}"}`)),
  },
  {
    what: 'gzip of broken JSON',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.from('{"note": ')),
  },
  {
    what: 'a malformed content type',
    headers: { 'content-type': 'application/json; charset' },
    body: Buffer.from('{'),
    bypassesParser: true,
  },
  {
    what: 'text/plain',
    headers: { 'content-type': 'text/plain' },
    body: Buffer.from('hello'),
    bypassesParser: true,
  },
  {
    what: 'utf-16 declared, utf-8 sent',
    headers: { 'content-type': 'application/json; charset=utf-16' },
    body: Buffer.from('{"note":"x"}'),
  },
];
