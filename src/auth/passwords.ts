import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Gate } from '../util/gate.js';

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/**
 * OWASP's Password Storage Cheat Sheet (2023): scrypt with N=2^17, r=8, p=1 — 128 MiB and, measured
 * in bench/auth-cost.ts, 0.65 s to 1.5 s of one core per hash on the shared 2-core VM.
 * `auth.passwordHashCost` may lower the exponent for a test machine.
 */
export const RECOMMENDED_COST = 17;
const R = 8;
const P = 1;
/** scrypt needs 128·N·r bytes; Node refuses anything above maxmem (default 32 MiB). */
const maxmemFor = (n: number, r: number) => 128 * n * r + 16 * 1024 * 1024;
/** Stored hashes may name at most this N (2^20, 1 GiB): a tampered row must not exhaust memory. */
const MAX_N = 2 ** 20;

/**
 * Every hash and verification goes through one gate: two at a time (256 MiB at 2^17) and a short
 * queue. A login flood waits or is refused with `GateFullError`, instead of filling the libuv pool.
 */
const gate = new Gate('auth', 2, 32);

export function hashGateLoad(): { running: number; waiting: number } {
  return gate.load;
}

/** `scrypt$N$r$p$salt$hash`, base64url; parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string, cost = RECOMMENDED_COST): Promise<string> {
  const N = 2 ** cost;
  const salt = randomBytes(16);
  const hash = await gate.run(() =>
    scryptAsync(password, salt, 32, { N, r: R, p: P, maxmem: maxmemFor(N, R) }),
  );
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return undefined;
  const out = {
    n: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64url'),
    hash: Buffer.from(hash, 'base64url'),
  };
  const pow2 = Number.isInteger(Math.log2(out.n));
  if (!pow2 || out.n < 2 || out.n > MAX_N || out.r < 1 || out.r > 32 || out.p < 1 || out.p > 4)
    return undefined;
  if (out.hash.length < 16) return undefined;
  return out;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const got = await gate.run(() =>
    scryptAsync(password, h.salt, h.hash.length, { N: h.n, r: h.r, p: h.p, maxmem: maxmemFor(h.n, h.r) }),
  );
  return got.length === h.hash.length && timingSafeEqual(got, h.hash);
}

/** Whether a stored hash is weaker than `cost` (or not ours): it is re-hashed at the next good login. */
export function needsRehash(stored: string, cost = RECOMMENDED_COST): boolean {
  const h = parse(stored);
  return !h || h.n < 2 ** cost || h.r < R || h.p < P;
}

/**
 * A well-formed hash of a password nobody knows, at the given cost: verified against when the user
 * does not exist, so an unknown username costs the same time as a known one.
 */
export function dummyHash(cost = RECOMMENDED_COST): string {
  const salt = Buffer.alloc(16, 0x5a).toString('base64url');
  const hash = Buffer.alloc(32, 0xa5).toString('base64url');
  return ['scrypt', 2 ** cost, R, P, salt, hash].join('$');
}
