import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from '../store/db-types.js';
import { OPS, type OpName } from './report-ops.js';

/**
 * A report worker thread (issue 13/19): its own read-only connection to the SQLite file, so a report
 * over a year of incidents runs beside the alarm path, never on its event loop or its connection. In
 * WAL mode readers do not block the writer; `query_only` makes sure nothing here ever writes.
 */
const { file } = workerData as { file: string };
// On Linux a thread is scheduled on its own: the lowest priority for this one means that on a busy
// machine the alarm path's thread gets the CPU first and a report only takes longer.
let niceError: string | undefined;
try {
  setPriority(19);
} catch (err) {
  // Not permitted (or not Linux): the report still runs at the priority it has; the parent logs why.
  niceError = err instanceof Error ? err.message : String(err);
}
const sqlite = new Database(file, { readonly: true, fileMustExist: true });
sqlite.pragma('query_only = ON');
const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });

interface Request {
  id: number;
  op: OpName;
  params: unknown;
}

parentPort!.on('message', (req: Request) => {
  const op = OPS[req.op] as (db: Kysely<DB>, p: unknown, progress: unknown) => Promise<unknown>;
  if (!op) {
    parentPort!.postMessage({ id: req.id, error: `reports: unknown op ${String(req.op)}` });
    return;
  }
  const progress = (done: number, total: number, step: string) =>
    parentPort!.postMessage({ id: req.id, progress: { done, total, step } });
  op(db, req.params, progress).then(
    (result) => parentPort!.postMessage({ id: req.id, result }),
    (err: unknown) =>
      parentPort!.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
parentPort!.postMessage({ ready: true, niceError });
