/**
 * Incident creation + routing cost per event, with 100 vs 10,000 sites on a 4-level tree
 * (city → 6 districts → 56 towns → 516 communities), in-process, real SQLite file (WAL, FULL sync).
 * Baseline in the same run: bare better-sqlite3 inserting the same rows (event, incident, its event
 * link, its first transition) in one transaction per event.
 *
 *   npx tsx bench/core-routing.ts [--events 400] [--runs 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog } from '../src/audit/audit-log.js';
import { Bus } from '../src/bus.js';
import { configSchema } from '../src/config/schema.js';
import { Directory } from '../src/core/directory.js';
import { EventCore, newIncidentId } from '../src/core/event-core.js';
import type { NormalizedEvent } from '../src/core/events.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { auditSink } from '../src/outbox/audit-sink.js';
import { busRelaySink } from '../src/outbox/bus-relay.js';
import { Outbox } from '../src/outbox/outbox.js';
import { OutboxDispatcher } from '../src/outbox/outbox-dispatcher.js';
import { roomsFor } from '../src/realtime/ops-namespace.js';
import { type openDatabase, SqliteStore } from '../src/store/sqlite.js';
import { fmt, summary } from './lib/harness.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '400' }, runs: { type: 'string', default: '2' } },
});
const RUNS = Number(values.runs);
const EVENTS = Number(values.events);
/** FULL is production (an fsync per commit); OFF takes the disk out to show the CPU cost alone. */
type Sync = 'FULL' | 'OFF';

function city(sites: number) {
  const communities: { id: string; name: string; children: never[] }[] = [];
  const districts = Array.from({ length: 6 }, (_, d) => ({
    id: `d${d}`,
    name: `District ${d}`,
    kind: 'district',
    children: [] as unknown[],
  }));
  for (let t = 0; t < 56; t++) {
    const town = { id: `t${t}`, name: `Town ${t}`, kind: 'station', children: [] as unknown[] };
    districts[t % 6]!.children.push(town);
    for (let c = t; c < 516; c += 56) {
      const node = { id: `c${c}`, name: `Community ${c}`, kind: 'grid', children: [] as never[] };
      town.children.push(node);
      communities.push(node);
    }
  }
  return configSchema.parse({
    jurisdictions: [{ id: 'city', name: 'City 110', kind: 'city', children: districts }],
    sites: Array.from({ length: sites }, (_, i) => ({
      id: `s${i}`,
      name: `Site ${i}`,
      jurisdiction: communities[i % communities.length]!.id,
      kind: 'shop',
      location: { lat: 39.3, lon: 112.4 },
    })),
    panels: Array.from({ length: sites }, (_, i) => ({
      id: `p${i}`,
      site: `s${i}`,
      secret: 'secret-of-panel',
    })),
  });
}

function panic(site: number, n: number, tag: string): NormalizedEvent {
  const now = new Date().toISOString();
  return {
    key: `panel:p${site}:${tag}-${n}`,
    source: 'panel',
    device: `p${site}`,
    site: `s${site}`,
    type: 'panic',
    ts: now,
    receivedAt: now,
  };
}

/** A resolved incident per site beforehand, so the tables grow with the number of sites. */
function preload(db: ReturnType<typeof openDatabase>, sites: number): void {
  const at = new Date(Date.now() - 86_400_000).toISOString();
  const ev = db.prepare(
    "INSERT INTO events (key, source, device, site, type, ts, received_at, correlated_at) VALUES (?, 'panel', ?, ?, 'panic', ?, ?, ?)",
  );
  const inc = db.prepare(
    "INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at) VALUES (?, ?, 'c0', 1, 'resolved', 'life-safety-p1', 'alarm', 1, ?, ?)",
  );
  const link = db.prepare('INSERT INTO incident_events (incident_id, event_key) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < sites; i++) {
      ev.run(`panel:p${i}:old`, `p${i}`, `s${i}`, at, at, at);
      inc.run(`OLD-${i}`, `s${i}`, at, at);
      link.run(`OLD-${i}`, `panel:p${i}:old`);
    }
  })();
}

async function runCore(sites: number, withAudit: boolean, sync: Sync) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-core-'));
  const config = city(sites);
  const store = new SqliteStore(join(dir, 'sharpeyes.db'));
  store.db.pragma(`synchronous = ${sync}`);
  preload(store.db, sites);
  const bus = new Bus();
  const directory = new Directory(config);
  const metrics = new Metrics({ defaults: false });
  const outbox = new Outbox(store.k);
  const dispatcher = new OutboxDispatcher({ outbox, log: silentLogger, metrics });
  const core = new EventCore({ store, outbox, bus, dir: directory, log: silentLogger, metrics });
  let rooms = 0;
  bus.on('incident:new', (inc) => {
    rooms += roomsFor(directory, inc).length; // the routing the realtime sink does per incident
  });
  await dispatcher.add(busRelaySink({ bus, views: store.incidents, log: silentLogger }));
  if (withAudit) await dispatcher.add(auditSink(new AuditLog(store.k, store.dialect)));
  dispatcher.start();
  const samples: number[] = [];
  for (let n = 0; n < EVENTS; n++) {
    const site = (n * 7919) % sites; // spread over the sites; each panic opens a new incident
    const t0 = performance.now();
    const out = await core.ingest(panic(site, n, 'b'));
    samples.push(performance.now() - t0);
    // Untimed: close it, so the next panic at this site opens a new incident again.
    await core.transition(out.incident!, 'false_alarm', 'bench');
  }
  await dispatcher.idle();
  await dispatcher.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { samples, rooms: rooms / EVENTS };
}

function runBare(sites: number, sync: Sync) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bare-'));
  const db = new SqliteStore(join(dir, 'sharpeyes.db')).db; // same schema and pragmas
  db.pragma(`synchronous = ${sync}`);
  preload(db, sites);
  const ev = db.prepare(
    "INSERT INTO events (key, source, device, site, type, ts, received_at) VALUES (?, 'panel', ?, ?, 'panic', ?, ?)",
  );
  const inc = db.prepare(
    "INSERT INTO incidents (id, site, jurisdiction, priority, state, rule, kind, confirmed, opened_at, updated_at) VALUES (?, ?, 'c0', 1, 'new', 'life-safety-p1', 'alarm', 1, ?, ?)",
  );
  const link = db.prepare('INSERT INTO incident_events (incident_id, event_key) VALUES (?, ?)');
  const tr = db.prepare(
    "INSERT INTO transitions (incident_id, from_state, to_state, by_user, at) VALUES (?, NULL, 'new', 'system', ?)",
  );
  const one = db.transaction((e: NormalizedEvent) => {
    const id = newIncidentId(new Date());
    ev.run(e.key, e.device, e.site, e.ts, e.receivedAt);
    inc.run(id, e.site, e.receivedAt, e.receivedAt);
    link.run(id, e.key);
    tr.run(id, e.receivedAt);
  });
  const samples: number[] = [];
  for (let n = 0; n < EVENTS; n++) {
    const e = panic((n * 7919) % sites, n, 'bare');
    const t0 = performance.now();
    one(e);
    samples.push(performance.now() - t0);
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return samples;
}

console.log(
  `core-routing: ${EVENTS} panic events per case and run, ${RUNS} runs, ${new Date().toISOString()}`,
);
// Runs alternate the cases so that a noisy moment on the shared disk does not land on one case only;
// the samples of all runs are pooled per case.
const pooled = new Map<string, number[]>();
const add = (k: string, xs: number[]) => pooled.set(k, [...(pooled.get(k) ?? []), ...xs]);
for (let run = 0; run < RUNS; run++) {
  for (const sync of ['OFF', 'FULL'] as const) {
    for (const sites of run % 2 === 0 ? [100, 10_000] : [10_000, 100]) {
      add(`${sync}|${sites}|bare`, runBare(sites, sync));
      const core = await runCore(sites, false, sync);
      add(`${sync}|${sites}|core`, core.samples);
      add(`${sync}|${sites}|audit`, (await runCore(sites, true, sync)).samples);
      if (core.rooms !== 5) throw new Error(`expected 5 rooms per incident, got ${core.rooms}`);
    }
  }
}
const NAMES = {
  bare: 'bare better-sqlite3 (same rows, 1 txn)',
  core: 'EventCore.ingest + routing',
  audit: 'EventCore.ingest + routing + audit',
};
console.log('| synchronous | sites | path | p50 | p99 | p50 vs bare |\n|---|---|---|---|---|---|');
for (const sync of ['OFF', 'FULL'] as const) {
  for (const sites of [100, 10_000]) {
    const bare = summary(pooled.get(`${sync}|${sites}|bare`)!);
    for (const k of ['bare', 'core', 'audit'] as const) {
      const s = summary(pooled.get(`${sync}|${sites}|${k}`)!);
      console.log(
        `| ${sync} | ${sites} | ${NAMES[k]} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${(s.p50 / bare.p50).toFixed(1)}× |`,
      );
    }
  }
}
