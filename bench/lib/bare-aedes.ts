// A bare Aedes broker on a free port, no hooks: the baseline the service's broker path is measured against.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`BARE_AEDES_PORT=${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
