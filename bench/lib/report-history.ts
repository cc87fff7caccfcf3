import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { parseConfig } from '../../src/config/load.js';
import { Directory } from '../../src/core/directory.js';
import { silentLogger } from '../../src/log.js';
import { syncConfig } from '../../src/reports/facts-backfill.js';
import { FactsProjector } from '../../src/reports/facts-projector.js';
import { FactsStore } from '../../src/reports/facts-store.js';
import type { DB } from '../../src/store/db-types.js';

/** A deterministic PRNG (mulberry32): the same history every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['intrusion', 'intrusion', 'intrusion', 'panic', 'fire', 'tamper', 'duress'];

/**
 * Writes `n` incidents spread evenly over the `days` before `endMs` at sites `s0..s{sites-1}` (grid
 * `g{i % 20}`, as bench/lib/city.ts lays them out): opening event, acknowledgement after 5-180 s, a
 * unit sent to two in three and on scene 3-20 min later, closed within two hours; one in eight a
 * false alarm, one in ten a maintenance ticket. Multi-row inserts in one transaction per 5,000.
 */
export async function seedHistory(
  k: Kysely<DB>,
  opts: { n: number; days: number; endMs: number; sites: number; units: number },
): Promise<void> {
  const rand = rng(19);
  const span = opts.days * 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  for (let start = 0; start < opts.n; start += 5000) {
    const events: DB['events'][] = [];
    const incidents: Parameters<ReturnType<Kysely<DB>['insertInto']>['values']>[0][] = [];
    const links: DB['incident_events'][] = [];
    const units: DB['incident_units'][] = [];
    for (let i = start; i < Math.min(opts.n, start + 5000); i++) {
      const opened = opts.endMs - span + Math.floor((i / opts.n) * span);
      const site = Math.floor(rand() * opts.sites);
      const maintenance = rand() < 0.1;
      const id = `H-${String(i).padStart(7, '0')}`;
      const key = `hist:p${site}:${i}`;
      const type = maintenance ? 'trouble' : TYPES[Math.floor(rand() * TYPES.length)]!;
      const ack = opened + Math.floor(5_000 + rand() * 175_000);
      const closed = opened + Math.floor(600_000 + rand() * 6_600_000);
      const falseAlarm = !maintenance && rand() < 0.125;
      events.push({
        key,
        source: 'panel',
        device: `p${site}`,
        site: `s${site}`,
        type,
        zone: '1',
        cid: null,
        ts: iso(opened),
        received_at: iso(opened),
        detail: null,
        correlated_at: iso(opened),
      });
      incidents.push({
        id,
        site: `s${site}`,
        jurisdiction: `g${site % 20}`,
        priority: maintenance ? 4 : type === 'panic' || type === 'duress' || type === 'fire' ? 1 : 2,
        state: falseAlarm ? 'false_alarm' : 'resolved',
        rule: 'history',
        kind: maintenance ? 'maintenance' : 'alarm',
        confirmed: !maintenance && !falseAlarm && rand() < 0.5 ? 1 : 0,
        opened_at: iso(opened),
        updated_at: iso(closed),
        acknowledged_at: iso(ack),
        closed_at: iso(closed),
        confirmed_by: null,
        confirmed_at: null,
        device: maintenance ? `p${site}` : null,
        last_event_at: iso(opened),
      });
      links.push({ incident_id: id, event_key: key });
      if (!maintenance && !falseAlarm && rand() < 0.67) {
        const sent = ack + 30_000;
        units.push({
          incident_id: id,
          unit: `u${Math.floor(rand() * opts.units)}`,
          dispatched_at: iso(sent),
          dispatched_by: 'history',
          arrived_at: iso(sent + Math.floor(180_000 + rand() * 1_020_000)),
        });
      }
    }
    await k.transaction().execute(async (tx) => {
      for (let i = 0; i < events.length; i += 500) {
        await tx
          .insertInto('events')
          .values(events.slice(i, i + 500))
          .execute();
        await tx
          .insertInto('incidents')
          .values(incidents.slice(i, i + 500) as never)
          .execute();
        await tx
          .insertInto('incident_events')
          .values(links.slice(i, i + 500))
          .execute();
      }
      for (let i = 0; i < units.length; i += 500)
        await tx
          .insertInto('incident_units')
          .values(units.slice(i, i + 500))
          .execute();
    });
  }
}

/** `units:` for the city YAML: `u0..u{n-1}` at the station. */
export function unitsYaml(n: number): string {
  return `units:\n${Array.from({ length: n }, (_, i) => `  - { id: u${i}, name: Car ${i}, jurisdiction: station }`).join('\n')}\n`;
}

/**
 * The reporting side of a store, as the service builds it at start: the facts store with the city of
 * `cfgFile` synced into it (its sites seen since `sinceMs`), and the projector that fills it. What a
 * backfill over a seeded history runs with.
 */
export async function reportsFor(
  k: Kysely<DB>,
  dialect: 'sqlite' | 'postgres',
  cfgFile: string,
  sinceMs: number,
): Promise<{ facts: FactsStore; projector: FactsProjector; tz: string }> {
  const config = parseConfig(readFileSync(cfgFile, 'utf8'), cfgFile);
  const dir = new Directory(config);
  const facts = new FactsStore(k, dialect);
  await syncConfig(facts, dir, sinceMs);
  const tz = config.ratings.timezone;
  return { facts, projector: new FactsProjector({ store: facts, dir, tz, log: silentLogger }), tz };
}
