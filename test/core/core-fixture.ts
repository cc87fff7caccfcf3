import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Bus } from '../../src/bus.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { Directory } from '../../src/core/directory.js';
import { EventCore } from '../../src/core/event-core.js';
import { type EventType, eventKey, type NormalizedEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { auditSink } from '../../src/outbox/audit-sink.js';
import { busRelaySink } from '../../src/outbox/bus-relay.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freshPostgresDatabase } from '../helpers/postgres.js';

/** A city of two stations; shop-1 has a panel with two zones, each seen by its own camera. */
export const CORE_CITY_YAML = `
jurisdictions:
  - id: city
    name: City 110
    kind: city
    children:
      - id: district
        name: District
        kind: district
        children:
          - id: north
            name: North station
            kind: station
            children: [{ id: north-grid-1, name: North grid 1, kind: grid }]
          - id: south
            name: South station
            kind: station
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
cameras:
  - { id: cam-front, site: shop-1, rtsp: "rtsp://127.0.0.1:9/front" }
  - { id: cam-back, site: shop-1, rtsp: "rtsp://127.0.0.1:9/back" }
  - { id: cam-bank, site: bank-2, rtsp: "rtsp://127.0.0.1:9/bank" }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    zones: { "1": { name: front door, cameras: [cam-front] }, "2": { name: back door, cameras: [cam-back] } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2 }
units:
  - { id: north-car-1, name: North car 1, jurisdiction: north }
  - { id: north-car-2, name: North car 2, jurisdiction: north }
  - { id: south-car-1, name: South car 1, jurisdiction: south }
`;

export interface CoreFixture {
  dir: string;
  config: Config;
  store: Store;
  bus: Bus;
  directory: Directory;
  core: EventCore;
  outbox: Outbox;
  dispatcher: OutboxDispatcher;
  metrics: Metrics;
  /** The hash-chained audit log the fixture's audit sink writes (with `audit: true`). */
  audit: AuditLog;
  /** Everything ingested so far is committed and every sink has handled it. */
  settle(): Promise<void>;
  close(opts?: { keep?: boolean }): Promise<void>;
}

export function coreConfig(extraYaml = ''): Config {
  return parseConfig(CORE_CITY_YAML + extraYaml, 'core-test.yaml');
}

/** `openCore` on the given database: a real SQLite file, or a fresh database on the shared PostgreSQL. */
export async function openCoreOn(
  db: 'sqlite' | 'postgres',
  opts: Omit<Parameters<typeof openCore>[0] & object, 'postgres'> = {},
): Promise<CoreFixture> {
  const postgres = db === 'postgres' ? await freshPostgresDatabase() : undefined;
  return openCore({ ...opts, ...(postgres ? { postgres } : {}) });
}

/** A real SQLite file in a temp dir; `dataDir` reopens an existing one (restart tests). */
export async function openCore(
  opts: {
    dataDir?: string;
    extraYaml?: string;
    audit?: boolean;
    now?: () => Date;
    /** New incidents' ids (default: the core's random ones). */
    incidentIds?: (at: Date) => string;
    /** A PostgreSQL database URL: the same core on the city's database (issue 16). */
    postgres?: string;
  } = {},
): Promise<CoreFixture> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sharpeyes-core-'));
  const config = coreConfig(opts.extraYaml);
  const store = opts.postgres
    ? await openPostgresStore(opts.postgres)
    : new SqliteStore(join(dir, 'sharpeyes.db'));
  const bus = new Bus();
  const directory = new Directory(config);
  const metrics = new Metrics({ defaults: false });
  const outbox = new Outbox(store.k, undefined, store.dialect);
  const dispatcher = new OutboxDispatcher({ outbox, log: silentLogger, metrics, pollMs: 50 });
  const audit = new AuditLog(store.k, store.dialect);
  const core = new EventCore({
    store,
    outbox,
    bus,
    dir: directory,
    log: silentLogger,
    metrics,
    rules: config.rules,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.incidentIds ? { incidentIds: opts.incidentIds } : {}),
  });
  await dispatcher.add(busRelaySink({ bus, views: store.incidents, log: silentLogger }));
  if (opts.audit) await dispatcher.add(auditSink(audit));
  dispatcher.start();
  return {
    dir,
    config,
    store,
    bus,
    directory,
    core,
    outbox,
    dispatcher,
    metrics,
    audit,
    async settle() {
      await core.drain();
      await dispatcher.idle();
    },
    async close(o = {}) {
      await core.drain();
      await dispatcher.stop();
      await store.close();
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;

/** A normalized event as a driver would hand it to the core, received now. */
export function ev(
  type: EventType,
  opts: {
    device?: string;
    site?: string;
    zone?: string;
    detail?: Record<string, unknown>;
    cid?: string;
  } = {},
): NormalizedEvent {
  const now = new Date().toISOString();
  const camera = ['motion', 'person', 'vehicle', 'plate', 'video_loss', 'video_restore'].includes(type);
  const device = opts.device ?? (camera ? 'cam-front' : 'panel-1');
  const e: NormalizedEvent = {
    key: eventKey(camera ? 'camera' : 'panel', device, `e${++seq}`),
    source: camera ? 'camera' : 'panel',
    device,
    site: opts.site ?? 'shop-1',
    type,
    ts: now,
    receivedAt: now,
  };
  if (opts.zone !== undefined) e.zone = opts.zone;
  if (opts.detail) e.detail = opts.detail;
  if (opts.cid) e.cid = opts.cid;
  return e;
}
