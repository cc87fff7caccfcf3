// The WAL checkpoint thread (issue 13): its own connection to the service's SQLite file copies the
// write-ahead log back into the database file, so that copy and its fsyncs never run inside a commit
// on the alarm thread. Plain JavaScript: it needs better-sqlite3 and nothing of the service.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, everyMs } = workerData;
const db = new Database(file, { fileMustExist: true });
// A checkpoint syncs the log before it copies and the database file after: durable either way.
db.pragma('synchronous = FULL');

function checkpoint() {
  const t0 = performance.now();
  try {
    // PASSIVE waits for no reader and no writer: a commit on the alarm thread goes on meanwhile.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({
      busy: r.busy,
      frames: r.log,
      copied: r.checkpointed,
      ms: performance.now() - t0,
    });
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}

const timer = setInterval(checkpoint, everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  // The service's own connection stays open: closing this one leaves the log to it.
  db.close();
  parentPort.close();
});
