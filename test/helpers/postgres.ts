import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../../src/store/db-types.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migratePostgres, openPostgresStore } from '../../src/store/postgres.js';
import { migrate, openDatabase, SqliteStore, type Store } from '../../src/store/sqlite.js';
import { freePort } from './free-port.js';

/** Debian's PostgreSQL 15 binaries (package postgresql-15; `sharpeyes doctor` checks them). */
export const PG_BIN = process.env['SHARPEYES_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** uid/gid of the `postgres` user: initdb refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * A throw-away PostgreSQL server on a free loopback port, its data and socket in a temp directory:
 * what the store tests and the cluster tests run against. Trust authentication on loopback only.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-pg-'));
  const data = join(dir, 'data');
  const user = postgresUser();
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const asPg = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(
    join(PG_BIN, 'initdb'),
    ['-D', data, '-U', 'sharpeyes', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    {
      ...asPg,
      stdio: 'ignore',
    },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(PG_BIN, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=on',
      '-c',
      'max_connections=200',
    ],
    { ...asPg, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const url = `postgres://sharpeyes@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${log}`);
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        // Immediate shutdown: a throw-away server needs no shutdown checkpoint (seconds per database).
        child.kill('SIGQUIT');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the server, so each test starts empty. */
export async function createDatabase(pg: TestPostgres, name: string): Promise<string> {
  const { default: Pg } = await import('pg');
  const client = new Pg.Client({ connectionString: pg.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

let shared: Promise<TestPostgres> | undefined;
let dbs = 0;

/**
 * One server per test file (started on first use; call `stopSharedPostgres` in afterAll), a fresh
 * database per call.
 */
export async function freshPostgresDatabase(): Promise<string> {
  shared ??= startPostgres();
  return createDatabase(await shared, `t${process.pid}_${++dbs}`);
}

export async function stopSharedPostgres(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}

/** A store for one test and how to remove it. */
export interface TestStore {
  store: Store;
  cleanup(): Promise<void>;
}

/** A SQLite store in a temporary directory (`prefix` names it), its file first given to `prepare`. */
function sqliteIn(prefix: string, prepare?: (file: string) => void): TestStore {
  const dir = mkdtempSync(join(tmpdir(), `sharpeyes-${prefix}-`));
  const file = join(dir, `${prefix}.db`);
  prepare?.(file);
  const store = new SqliteStore(file);
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store on a fresh database of the shared PostgreSQL server, its URL first given to `prepare`. */
async function postgresIn(prepare?: (url: string) => Promise<void>): Promise<TestStore> {
  const url = await freshPostgresDatabase();
  await prepare?.(url);
  const store = await openPostgresStore(url);
  return { store, cleanup: () => store.close() };
}

/**
 * The two databases a store runs on, for `describe.each`: a SQLite file in a temporary directory
 * (`prefix` names it) and a fresh database on the shared PostgreSQL server (call
 * `stopSharedPostgres` in afterAll).
 */
export function storeBackends(prefix: string): [string, () => Promise<TestStore>][] {
  return [
    ['sqlite', async () => sqliteIn(prefix)],
    ['postgres', () => postgresIn()],
  ];
}

/**
 * The two databases as a migration test needs them: migrated to `before` (that version included),
 * seeded with `seedSql` (statements separated by `;`, as both databases take them), then opened as the
 * service opens a database, which runs every later migration over the seeded rows.
 */
export function storeBackendsFrom(
  prefix: string,
  before: number,
  seedSql: string,
): [string, () => Promise<TestStore>][] {
  const upTo = MIGRATIONS.filter((m) => m.version <= before);
  const statements = seedSql
    .split(';')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  return [
    [
      'sqlite',
      async () =>
        sqliteIn(prefix, (file) => {
          const db = openDatabase(file);
          migrate(db, upTo);
          for (const stmt of statements) db.exec(stmt);
          db.close();
        }),
    ],
    [
      'postgres',
      () =>
        postgresIn(async (url) => {
          const k = new Kysely<DB>({
            dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
          });
          await migratePostgres(k, upTo);
          for (const stmt of statements) await sql.raw(stmt).execute(k);
          await k.destroy();
        }),
    ],
  ];
}

/**
 * The stores a test service runs on, each as the YAML that picks it: SQLite (the default: nothing) and
 * a fresh database on the shared throw-away PostgreSQL (a pool of 4, so requests at once run at once).
 * For `describe.each(SERVICE_BACKENDS)` with the YAML appended to the test's city.
 */
export const SERVICE_BACKENDS: [string, () => Promise<string>][] = [
  ['sqlite', async () => ''],
  [
    'postgres',
    async () =>
      `storage: { database: { kind: postgres, url: "${await freshPostgresDatabase()}", poolSize: 4 } }\n`,
  ],
];
