// A bare Aedes broker on a free port: the baseline the service's broker path is measured against.
// With `--sqlite DIR`, the bare tools of commit-before-acknowledge: each QoS 1 publish is inserted
// into a bare better-sqlite3 table (WAL, synchronous=FULL, as the service) in authorizePublish,
// before the PUBACK; no parsing, rules, outbox or sockets.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import Database from 'better-sqlite3';

const { values } = parseArgs({ options: { sqlite: { type: 'string' } } });
const aedes = await Aedes.createBroker();
if (values.sqlite) {
  const db = new Database(join(values.sqlite, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, topic TEXT, payload BLOB)');
  const insert = db.prepare('INSERT INTO events (topic, payload) VALUES (?, ?)');
  aedes.authorizePublish = (_client, packet, done) => {
    insert.run(packet.topic, packet.payload);
    done(null);
  };
}
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`BARE_AEDES_PORT=${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
