import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Server as IoServer, Namespace } from 'socket.io';
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';

/** The event nodes send each other after a commit: "read the outbox now" (no payload). */
const WAKE = 'sharpeyes:outbox-wake';

/**
 * Issue 16: Socket.IO across nodes through Redis (`realtime.redis`). Every namespace (/ops, /live)
 * gets the Redis adapter, so room operations reach sockets on every node: a revoked session's
 * sockets close wherever they are, a broadcast one node makes reaches all desks. Incident pushes are
 * not broadcast through it: every node relays the shared outbox to its own sockets (`.local`), which
 * is what makes a push survive the death of the node that committed it, and reach each desk once.
 */
export async function attachRedisAdapter(
  io: IoServer,
  url: string,
  log: Logger,
): Promise<() => Promise<void>> {
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = pub.duplicate();
  for (const [name, client] of [
    ['pub', pub],
    ['sub', sub],
  ] as const) {
    // ioredis reconnects by itself; a Redis outage costs cross-node room operations, not alarms.
    client.on('error', (err: Error) => log.warn({ err: err.message, client: name }, 'realtime: Redis error'));
  }
  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (err) {
    pub.disconnect();
    sub.disconnect();
    throw new Error(
      `realtime: cannot reach Redis at ${redactUrl(url)} (realtime.redis): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  io.adapter(createAdapter(pub, sub, { key: 'sharpeyes' }));
  log.info({ url: redactUrl(url) }, 'realtime: Socket.IO Redis adapter on');
  // QUIT after what is queued, not a cut: a node's last word (a stopping node's `system:status`,
  // published just before) still reaches the other nodes' desks, and the publish is not rejected as
  // the connection closes (an unhandled rejection in the middle of a stop). A Redis that does not
  // answer is cut after QUIT_MS.
  return async () => {
    await Promise.all([pub, sub].map((client) => quit(client, log)));
  };
}

/** How long a stopping node waits for Redis to take its QUIT. */
const QUIT_MS = 2_000;

async function quit(client: Redis, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), QUIT_MS);
  });
  try {
    const how = await Promise.race([client.quit(), late]);
    if (how === 'late') {
      log.warn({}, 'realtime: Redis did not take QUIT in time; connection cut');
      client.disconnect();
    }
  } catch (err) {
    // Already closed or unreachable: nothing is left to send.
    log.debug({ err }, 'realtime: Redis QUIT failed; connection cut');
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After a local commit, tells the other nodes to read the outbox at once (their poll would find the
 * rows within a second; this makes a panic reach a desk on another node in milliseconds). At most
 * one message per turn of the event loop, however many commits it held.
 */
export function crossNodeWake(
  ops: Namespace,
  onLocalCommit: (fn: () => void) => () => void,
  readNow: () => void,
  log: Logger,
): () => void {
  let queued = false;
  const off = onLocalCommit(() => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      try {
        ops.serverSideEmit(WAKE);
      } catch (err) {
        log.warn({ err }, 'realtime: could not wake the other nodes; they poll');
      }
    });
  });
  const onWake = () => readNow();
  ops.on(WAKE, onWake);
  return () => {
    off();
    ops.off(WAKE, onWake);
  };
}
