/**
 * Issue 13: the desks' site list beside the alarm path. Every console loads `GET /api/sites` when it
 * opens (the map, the names), and 统计考核 loads `GET /api/reports/ratings`; in a district of 4,000
 * homes each is megabytes of JSON. The service runs as its own process (`start --no-demo`, SQLite
 * WAL, synchronous=FULL) with `--homes` sites, a panel each; panels publish `panic` at QoS 1 one at
 * a time (`--gap` ms apart), each from its own site, and we time publish → PUBACK:
 *
 * - quiet: no desk loads anything;
 * - while the desks load: one desk reloads the site list and 统计考核's ratings back to back, non-stop
 *   (a shift change, every desk opening its console at once).
 *
 * The two phases take turns in blocks of `--block` panics, so a shared machine's noise lands on both.
 * With `--pace MS` the desk starts a reload (both lists) at most every MS ms instead of back to back:
 * back to back, a faster service is asked more often, and an A/B then compares different loads.
 * A/B against older code: run this file from a worktree at that commit (bench/README).
 *
 *   npx tsx bench/site-list.ts [--homes 4000] [--panics 400] [--block 50] [--gap 20] [--pace 0]
 */
import { parseArgs } from 'node:util';
import { cityYaml } from './lib/city.js';
import { fmt, summary, timedPanic, withBenchService } from './lib/harness.js';

const { values } = parseArgs({
  options: {
    homes: { type: 'string', default: '4000' },
    panics: { type: 'string', default: '400' },
    block: { type: 'string', default: '50' },
    gap: { type: 'string', default: '20' },
    pace: { type: 'string', default: '0' },
  },
});
const HOMES = Number(values.homes);
const PANICS = Number(values.panics);
const BLOCK = Number(values.block);
const GAP = Number(values.gap);
const PACE = Number(values.pace);

await withBenchService(
  cityYaml(HOMES),
  async ({ httpUrl, mqttUrl, socket }) => {
    const login = await fetch(`${httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
    });
    const { token } = (await login.json()) as { token: string };
    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(`${httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return { ms: performance.now() - t0, bytes };
    };
    // Warm both lists (the running month's ratings are computed once, then cached for 30 s).
    const sizes = {
      sites: (await get('/api/sites')).bytes,
      ratings: (await get('/api/reports/ratings')).bytes,
    };

    const times = { quiet: [] as number[], loading: [] as number[] };
    const lists = { sites: [] as number[], ratings: [] as number[] };
    let loading = false;
    const desk = async () => {
      while (loading) {
        const began = performance.now();
        lists.sites.push((await get('/api/sites')).ms);
        if (!loading) break;
        lists.ratings.push((await get('/api/reports/ratings')).ms);
        const rest = PACE - (performance.now() - began);
        if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      }
    };
    let reloading: Promise<void> | undefined;
    for (let i = 0; i < PANICS; i++) {
      const phase = Math.floor(i / BLOCK) % 2 ? 'loading' : 'quiet';
      if (phase === 'loading' && !loading) {
        loading = true;
        reloading = desk();
      }
      const panel = i % HOMES;
      const t = await timedPanic(
        mqttUrl,
        i,
        {
          opts: { username: `p${panel}`, password: `secret-${panel}-xyz`, clientId: `p${panel}` },
          topic: `sharpeyes/panels/p${panel}/event`,
        },
        () => new Promise<void>((r) => socket.once('incident:new', () => r())),
      );
      times[phase].push(t.puback);
      await new Promise((r) => setTimeout(r, GAP));
      const next = Math.floor((i + 1) / BLOCK) % 2 ? 'loading' : 'quiet';
      if (next === 'quiet' && loading) {
        loading = false;
        await reloading;
      }
    }
    loading = false;
    await reloading;

    console.log(
      `${HOMES} homes, a panel each; ${PANICS} panics ${GAP} ms apart in blocks of ${BLOCK}, the phases taking turns; the desk reloading ${PACE > 0 ? `at most every ${PACE} ms` : 'back to back'}; the site list ${(sizes.sites / 1e6).toFixed(1)} MB, the ratings ${(sizes.ratings / 1e6).toFixed(1)} MB`,
    );
    console.log('| panic → PUBACK | panics | p50 | p99 | max |');
    console.log('|---|---|---|---|---|');
    for (const [name, t] of Object.entries(times)) {
      const s = summary(t);
      console.log(`| ${name} | ${t.length} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
    }
    console.log('| a desk’s request, whole | requests | p50 | p99 | max |');
    for (const [name, t] of Object.entries(lists)) {
      const s = summary(t);
      console.log(`| ${name} | ${t.length} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`);
    }
  },
  { timeoutMs: 120_000 },
);
