import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Bus } from '../../src/bus.js';
import type { Config } from '../../src/config/schema.js';
import { Directory } from '../../src/core/directory.js';
import { EventCore } from '../../src/core/event-core.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { workflowHooks, workflowStores } from '../../src/workflow/workflow-hooks.js';

/**
 * The in-process benches' alarm path (bench/decision-pages.ts, bench/outbox-purge.ts): the event core
 * on `store` with the workflow's hooks, so the plan is chosen with the incident as the service does
 * (no sinks). Each `panic` opens an incident at the next of `sites` sites of the city (`cityYaml`),
 * timed to its durable decision; the incident is then closed, untimed, so the next panic there opens
 * one again.
 */
export function decisionCore(store: SqliteStore, config: Config, sites: number) {
  const dir = new Directory(config);
  const core = new EventCore({
    store,
    outbox: new Outbox(store.k),
    bus: new Bus(),
    dir,
    log: silentLogger,
    metrics: new Metrics({ defaults: false }),
  });
  core.setHooks(workflowHooks(config, dir, workflowStores()));
  let n = 0;
  return {
    /** `EventCore.ingest` of one panic, in ms. */
    async panic(tag: string): Promise<number> {
      const site = n++ % sites;
      const now = new Date().toISOString();
      const t0 = performance.now();
      const out = await core.ingest({
        key: `panel:p${site}:${tag}-${n}`,
        source: 'panel',
        device: `p${site}`,
        site: `s${site}`,
        type: 'panic',
        zone: '1',
        ts: now,
        receivedAt: now,
      });
      const ms = performance.now() - t0;
      if (!out.incident) throw new Error(`panic ${n} (${tag}) opened no incident`);
      await core.transition(out.incident, 'false_alarm', 'bench');
      return ms;
    },
  };
}

/**
 * The bare tool of a durable decision, beside `decisionCore`: better-sqlite3 inserting one row per
 * `synchronous = FULL` commit into a one-index table in `dir` (what bench/panic-recording.ts's bare
 * Aedes + SQLite does for each panic). `panic` is timed in ms.
 */
export function bareSqlite(dir: string) {
  const db = new Database(join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE panics (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, at TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO panics (key, at) VALUES (?, ?)');
  let n = 0;
  return {
    db,
    panic(): number {
      const t0 = performance.now();
      ins.run(`bare-${n++}`, new Date().toISOString());
      return performance.now() - t0;
    },
  };
}
