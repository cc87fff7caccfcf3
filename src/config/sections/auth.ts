import { z } from 'zod';

export const authSchema = z
  .strictObject({
    sessionTtlSeconds: z
      .number()
      .int()
      .positive()
      .default(12 * 3600)
      .describe('Login sessions expire after this.'),
    loginAttemptsPerMinute: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe('Failed logins allowed per username and address in a minute; then 429 until it passes.'),
    loginAttemptsPerAddressPerMinute: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Failed logins allowed per address (an IPv6 /64) in a minute, whatever the usernames.'),
    passwordHashCost: z
      .number()
      .int()
      .min(14)
      .max(20)
      .default(17)
      .describe(
        'log2 of scrypt N (r=8, p=1). 17 is OWASP 2023 (128 MiB and 0.2-1.5 s of a core a hash, bench/auth-cost.ts); weaker stored hashes are upgraded at the next good login. Lower only for tests.',
      ),
    sessionCheckSeconds: z
      .number()
      .positive()
      .max(60)
      .default(5)
      .describe(
        'How often open /ops and /live sockets re-check their session in the store (logout, expiry or a disabled user on another node).',
      ),
    sessionPurgeSeconds: z
      .number()
      .int()
      .positive()
      .default(600)
      .describe('How often expired sessions are deleted.'),
    mediaUrlSeconds: z
      .number()
      .int()
      .min(5)
      .max(600)
      .default(60)
      .describe('Lifetime of a signed media URL (live video, playback, clips, snapshots, downloads).'),
    mediaUrlSecret: z
      .string()
      .min(32)
      .optional()
      .describe(
        'HMAC key of signed media URLs (use ${ENV}). Default: a random key kept in the database, shared by every node of a city.',
      ),
  })
  .prefault({})
  .describe('Operator console sessions.');
