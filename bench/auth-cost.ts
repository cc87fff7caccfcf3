// Issue 15: what the security work costs, each against the bare primitive in the same run.
//  1. A console login at each scrypt cost (2^14, 2^17) over HTTP, against bare crypto.scrypt at the
//     same parameters: the hash is the login, the rest (HTTP, session insert) should be small.
//  2. Authenticating a media request by signed URL (HMAC check + session lookup in SQLite), against a
//     bare HMAC-SHA256 of the same bytes and the Bearer path (hash + session lookup).
//  3. The periodic session re-check of N watched sockets (one IN query per 500), against one bare
//     primary-key lookup per session.
// `npx tsx bench/auth-cost.ts [--logins 20] [--checks 2000] [--sockets 1000]`
import { createHmac, randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService, hashToken } from '../src/auth/auth-service.js';
import { MediaUrls } from '../src/auth/media-urls.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { startTestService, TEST_CITY_YAML } from '../test/helpers/service.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    logins: { type: 'string', default: '20' },
    checks: { type: 'string', default: '2000' },
    sockets: { type: 'string', default: '1000' },
  },
});
const LOGINS = Number(values.logins);
const CHECKS = Number(values.checks);
const SOCKETS = Number(values.sockets);
const now = () => performance.now();
const row = (name: string, s: ReturnType<typeof summary>) =>
  `| ${name} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p99)} | ${s.n} |`;

async function bareScrypt(cost: number): Promise<number> {
  const t = now();
  await new Promise<void>((resolve, reject) =>
    scrypt('pw-bench-123', randomBytes(16), 32, { N: 2 ** cost, r: 8, p: 1, maxmem: 256 * 1024 ** 2 }, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  return now() - t;
}

async function logins(cost: number): Promise<void> {
  const svc = await startTestService({
    yaml: `${TEST_CITY_YAML}\nauth: { passwordHashCost: ${cost}, loginAttemptsPerMinute: 1000 }\n`,
  });
  try {
    await svc.svc
      .need('auth')
      .createUser({ username: 'bench', password: 'pw-bench-123', role: 'operator', scope: 'city' });
    const http: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < LOGINS; i++) {
      // Interleaved, so both see the same machine load.
      bare.push(await bareScrypt(cost));
      const t = now();
      const res = await fetch(`${svc.httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench', password: 'pw-bench-123' }),
      });
      await res.text();
      if (!res.ok) throw new Error(`login failed: ${res.status}`);
      http.push(now() - t);
    }
    const b = summary(bare);
    const h = summary(http);
    console.log(row(`bare crypto.scrypt N=2^${cost}`, b));
    console.log(row(`POST /api/auth/login at 2^${cost}`, h));
    console.log(`|   p50 ratio login / bare scrypt | ${(h.p50 / b.p50).toFixed(2)}× | | | |`);
  } finally {
    await svc.close();
  }
}

async function mediaAndRecheck(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-auth-'));
  const store = new SqliteStore(join(dir, 'db.sqlite'));
  try {
    const auth = new AuthService(store, { passwordHashCost: 14, loginAttemptsPerMinute: 100_000 });
    await auth.start();
    await auth.createUser({ username: 'bench', password: 'pw-bench-123', role: 'operator', scope: 'city' });
    const sessions: { token: string; ref: string }[] = [];
    for (let i = 0; i < SOCKETS; i++) sessions.push(await auth.login('bench', 'pw-bench-123'));
    const key = randomBytes(32);
    const urls = new MediaUrls(key, 60);
    const path = '/api/recordings/play';
    const query = 'camera=cam-1&from=2026-11-22T07:00:00.000Z&to=2026-11-22T07:01:00.000Z';
    const signed = sessions.map((s) => new URL(urls.sign(s.ref, `${path}?${query}`).url, 'http://x'));
    const bare: number[] = [];
    const media: number[] = [];
    const bearer: number[] = [];
    for (let i = 0; i < CHECKS; i++) {
      const u = signed[i % signed.length]!;
      let t = now();
      createHmac('sha256', key).update(`m1\n${sessions[0]!.ref}\n0\n${path}\n${query}`).digest();
      bare.push(now() - t);
      t = now();
      const v = urls.verify(u.pathname, u.searchParams, u.searchParams.get('token')!);
      if (!v.ok || !(await auth.sessionByRef(v.ref))) throw new Error('media URL did not verify');
      media.push(now() - t);
      t = now();
      if (!(await auth.resolveSession(sessions[i % sessions.length]!.token))) throw new Error('no session');
      bearer.push(now() - t);
    }
    console.log(row('bare HMAC-SHA256 of the signed bytes', summary(bare)));
    console.log(row('signed media URL: verify + session by ref', summary(media)));
    console.log(row('Bearer token: hash + session lookup', summary(bearer)));

    const refs = sessions.map((s) => s.ref);
    const iso = new Date().toISOString();
    const recheck: number[] = [];
    const single: number[] = [];
    const stmt = store.db.prepare('SELECT 1 FROM sessions WHERE token_hash = ? AND expires_at > ?');
    for (let i = 0; i < 20; i++) {
      let t = now();
      const live = await auth.store.liveRefs(refs, iso);
      if (live.size !== refs.length) throw new Error('re-check lost sessions');
      recheck.push(now() - t);
      t = now();
      for (const s of sessions) stmt.get(hashToken(s.token), iso);
      single.push(now() - t);
    }
    console.log(row(`re-check of ${SOCKETS} watched sessions (IN query)`, summary(recheck)));
    console.log(row(`bare: ${SOCKETS} primary-key lookups`, summary(single)));
    auth.stop();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `auth-cost ${new Date().toISOString()} load ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| what | p50 | p90 | p99 | n |\n|---|---|---|---|---|');
await logins(14);
await logins(17);
await mediaAndRecheck();
