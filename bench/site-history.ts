/**
 * Issue 13 benchmark: the decision's reads of a site's open alarm, against the site's history. Every
 * alarm event reads the site's open alarm (`DecisionStore.openAlarm`), and every new alarm the site's
 * holder (`OwnerStore.siteHolder`), inside the decision's transaction, on the alarm thread. Timed
 * here, at sites with `--history` past (closed) alarms each plus one open:
 * - the service's reads as they are (`stateIsOpen` literals, the partial index `incidents_open`);
 * - the same two statements as they were until this change (open states as parameters), on the same
 *   file, where SQLite could not use the partial index and walked the site's whole history;
 * - the bare tool: one SQLite read of one incident by its primary key, in the same kind of
 *   transaction, the least a decision that reads anything pays.
 * A real SQLite file (WAL, synchronous=FULL, the service's migrations, not ANALYZEd, as a service
 * runs it). Median of `--rounds` rounds of one read pair at each of `--sites` sites, sides alternating.
 *
 *   npx tsx bench/site-history.ts [--history 0,100,1000,5000] [--sites 20] [--rounds 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DecisionStore } from '../src/store/decision-store.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { OwnerStore } from '../src/workflow/ownership/owner-store.js';

const { values } = parseArgs({
  options: {
    history: { type: 'string', default: '0,100,1000,5000' },
    sites: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '50' },
  },
});
const HISTORY = values.history.split(',').map(Number);
const SITES = Number(values.sites);
const ROUNDS = Number(values.rounds);

const OPEN = ['new', 'acknowledged', 'dispatched', 'on_scene'];
// The two statements as the service ran them before migration 111 (Kysely's SQL, states as parameters).
const OLD_OPEN_ALARM = `select "id", "site", "jurisdiction", "priority", "state", "rule", "kind", "confirmed", "opened_at", "device" from "incidents" where "site" = ? and "kind" = ? and "state" in (?, ?, ?, ?) order by "opened_at" desc limit ?`;
const OLD_SITE_HOLDER = `select "o"."owner" from "incident_owners" as "o" inner join "incidents" as "i" on "i"."id" = "o"."incident_id" where "i"."site" = ? and "i"."kind" = ? and "i"."state" in (?, ?, ?, ?) and "i"."id" != ? and "o"."released_at" is null order by "o"."since" desc limit ?`;

const LITERALS = `in (${OPEN.map((s) => `'${s}'`).join(', ')})`;
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

console.log(
  `| past alarms a site | the two reads now p50 / p99 | as before (states as parameters) p50 / p99 | before ÷ now (p50) | bare: one read by key p50 / p99 | now ÷ bare (p50) | the service's code for them (Kysely, a transaction) p50 / p99 |`,
);
console.log('|---|---|---|---|---|---|---|');
for (const history of HISTORY) {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-bench-history-'));
  const store = new SqliteStore(join(dir, 'sharpeyes.db'));
  try {
    const ins = store.db.prepare(
      `INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at)
       VALUES (?, ?, 'g1', 2, ?, 'intrusion', 'alarm', 1, ?, ?)`,
    );
    const owner = store.db.prepare(
      `INSERT INTO incident_owners (incident_id, owner, since, via) VALUES (?, 'op-wang', ?, 'take')`,
    );
    const start = Date.UTC(2024, 0, 1);
    store.db.transaction(() => {
      // Interleaved across sites, as a city's history is written: one site's rows are not adjacent.
      for (let i = 0; i < history; i++)
        for (let s = 0; s < SITES; s++) {
          const at = new Date(start + (i * SITES + s) * 60_000).toISOString();
          ins.run(`h-${s}-${i}`, `s${s}`, i % 8 === 0 ? 'false_alarm' : 'resolved', at, at);
        }
      for (let s = 0; s < SITES; s++) {
        const at = new Date(Date.UTC(2026, 11, 4) + s * 1000).toISOString();
        ins.run(`open-${s}`, `s${s}`, 'acknowledged', at, at);
        owner.run(`open-${s}`, at);
      }
    })();
    const decisions = new DecisionStore(store.k, 'sqlite');
    const owners = new OwnerStore();
    const newAlarm = store.db.prepare(OLD_OPEN_ALARM.replace('in (?, ?, ?, ?)', LITERALS));
    const newHolder = store.db.prepare(OLD_SITE_HOLDER.replace('in (?, ?, ?, ?)', LITERALS));
    const oldAlarm = store.db.prepare(OLD_OPEN_ALARM);
    const oldHolder = store.db.prepare(OLD_SITE_HOLDER);
    const byKey = store.db.prepare(`select "id", "state" from "incidents" where "id" = ?`);

    const service: number[] = [];
    const now: number[] = [];
    const before: number[] = [];
    const bare: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (let s = 0; s < SITES; s++) {
        const site = `s${s}`;
        let t0 = performance.now();
        const found = await store.k.transaction().execute(async (tx) => {
          const alarm = await decisions.openAlarm(tx, site, false);
          const holder = await owners.siteHolder(tx, site, 'a-new-alarm');
          return { alarm, holder };
        });
        service.push(performance.now() - t0);
        if (found.alarm?.id !== `open-${s}` || found.holder !== 'op-wang')
          throw new Error(`wrong answer at ${site}: ${JSON.stringify(found)}`);

        t0 = performance.now();
        const cur = store.db.transaction(() => ({
          alarm: newAlarm.get(site, 'alarm', 1) as { id: string } | undefined,
          holder: newHolder.get(site, 'alarm', 'a-new-alarm', 1) as { owner: string } | undefined,
        }))();
        now.push(performance.now() - t0);
        if (cur.alarm?.id !== `open-${s}` || cur.holder?.owner !== 'op-wang')
          throw new Error(`new form wrong at ${site}`);

        t0 = performance.now();
        const old = store.db.transaction(() => ({
          alarm: oldAlarm.get(site, 'alarm', ...OPEN, 1) as { id: string } | undefined,
          holder: oldHolder.get(site, 'alarm', ...OPEN, 'a-new-alarm', 1) as { owner: string } | undefined,
        }))();
        before.push(performance.now() - t0);
        if (old.alarm?.id !== `open-${s}` || old.holder?.owner !== 'op-wang')
          throw new Error(`old form wrong at ${site}`);

        t0 = performance.now();
        store.db.transaction(() => byKey.get(`open-${s}`))();
        bare.push(performance.now() - t0);
      }
    }
    const p50 = (a: number[]) => pct(a, 0.5);
    console.log(
      `| ${history} | ${us(p50(now))} / ${us(pct(now, 0.99))} | ${us(p50(before))} / ${us(pct(before, 0.99))} | ${(p50(before) / p50(now)).toFixed(2)}× | ${us(p50(bare))} / ${us(pct(bare, 0.99))} | ${(p50(now) / p50(bare)).toFixed(2)}× | ${us(p50(service))} / ${us(pct(service, 0.99))} |`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
