import type { Namespace } from 'socket.io';
import type { Logger } from '../log.js';
import { cityWide, troubleKey } from './system-trouble-acks.js';
import type { SystemStatus, SystemTrouble, SystemWatch } from './system-watch.js';

/** Server-side events between the nodes of a city (through the Socket.IO Redis adapter). */
const STATUS = 'sharpeyes:system-status';
const CHECK = 'sharpeyes:system-check';

/**
 * Longer than the Redis adapter's own wait for answers (5 s), which answers with what came; this one
 * is for Redis itself not answering, when the adapter never calls back.
 */
const GIVE_UP_MS = 6_000;

/** What every node of a city says of itself now, for taking charge of a trouble on any of them. */
export interface SystemPeers {
  /** This node's status, then every other node's that answered. */
  statuses(): Promise<SystemStatus[]>;
  /** `node` checks now: an acknowledgement taken elsewhere reaches its desks without waiting a check. */
  checkNow(node: string): void;
  stop(): void;
}

/**
 * The nodes' statuses through `ops`'s server-side events, or this node's alone when the city has no
 * Redis (`ops` undefined): then no desk hears another node's troubles either.
 */
export function systemPeers(watch: SystemWatch, ops: Namespace | undefined, log: Logger): SystemPeers {
  const own = () => watch.current();
  if (!ops) return { statuses: async () => [own()], checkNow: () => undefined, stop: () => undefined };
  const onStatus = (reply: (s: SystemStatus) => void) => reply(own());
  const onCheck = (node: string) => {
    if (node === own().node) void watch.check().catch(() => undefined);
  };
  ops.on(STATUS, onStatus);
  ops.on(CHECK, onCheck);
  return {
    async statuses() {
      const others = await new Promise<unknown[]>((resolve) => {
        const timer = setTimeout(() => resolve([]), GIVE_UP_MS);
        ops.serverSideEmit(STATUS, (err: Error | null, answers: unknown[] | undefined) => {
          clearTimeout(timer);
          // A node that did not answer in time is not counted: its troubles cannot be checked from here.
          if (err) log.warn({ err: err.message }, 'system: not every node told its status');
          resolve(answers ?? []);
        });
      });
      return [own(), ...others.filter(isStatus)];
    },
    checkNow(node) {
      if (node === own().node) void watch.check().catch(() => undefined);
      else ops.serverSideEmit(CHECK, node);
    },
    stop() {
      ops.off(STATUS, onStatus);
      ops.off(CHECK, onCheck);
    },
  };
}

const isStatus = (s: unknown): s is SystemStatus =>
  typeof s === 'object' &&
  s !== null &&
  typeof (s as SystemStatus).node === 'string' &&
  Array.isArray((s as SystemStatus).troubles);

/**
 * The trouble a desk names (`node`, `kind`, `name`) as it stands now, with the node telling it:
 * devices lost together from whichever node judges them (the named one first), any other from the
 * named node. Undefined when none stands (ended, or its node did not answer).
 */
export function standingTrouble(
  statuses: readonly SystemStatus[],
  want: { node: string; kind: string; name?: string | undefined },
): { node: string; trouble: SystemTrouble } | undefined {
  const key = troubleKey(want);
  const tellers = cityWide(want.kind)
    ? [...statuses].sort((x, y) => Number(y.node === want.node) - Number(x.node === want.node))
    : statuses.filter((s) => s.node === want.node);
  for (const s of tellers) {
    const trouble = s.troubles.find((t) => troubleKey(t) === key);
    if (trouble) return { node: s.node, trouble };
  }
  return undefined;
}
