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
