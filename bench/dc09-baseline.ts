/**
 * Baselines for bench/dc09-throughput.ts, run as their own process like the service:
 *   bare  — a bare Node TCP server that answers every CR-terminated message with one fixed ACK frame
 *           (no CRC check, no parsing): the floor of "a TCP round trip per message".
 *   noop  — the DC-09 receiver from drivers/sia-dc09 (framing, CRC, parsing, account lookup, ACK),
 *           with a sink that resolves at once: the protocol's own cost, without the commit.
 *
 *   npx tsx bench/dc09-baseline.ts bare|noop   → prints DC09_BASELINE_PORT=N
 */
import { createServer } from 'node:net';
import { encodeFrame } from '../drivers/sia-dc09/frame.js';
import { Dc09Receiver } from '../drivers/sia-dc09/receiver.js';

const mode = process.argv[2];
const announce = (port: number) => process.stdout.write(`DC09_BASELINE_PORT=${port}\n`);

if (mode === 'bare') {
  const ack = encodeFrame(Buffer.from('"ACK"0001L0#1000[]', 'latin1'));
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) socket.write(ack);
    });
    socket.on('error', () => socket.destroy()); // the bench client closing is the only error here
  });
  server.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (mode === 'noop') {
  const receiver = new Dc09Receiver({
    host: '127.0.0.1',
    port: 0,
    lookup: () => ({}),
    handle: async () => 'ack',
  });
  const { port } = await receiver.start();
  announce(port);
  process.on('SIGTERM', () => {
    void receiver.stop().then(() => process.exit(0));
  });
} else {
  process.stderr.write('usage: dc09-baseline.ts bare|noop\n');
  process.exit(2);
}
