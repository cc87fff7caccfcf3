import { keyFromHex } from '../../../drivers/sia-dc09/crypto.js';
import { type Frame, splitDatagram } from '../../../drivers/sia-dc09/frame.js';
import {
  type AccountPolicy,
  type Dc09Message,
  Dc09Pipeline,
  type OutcomeInfo,
  type Verdict,
} from '../../../drivers/sia-dc09/pipeline.js';

export interface TestAccount extends AccountPolicy {
  account: string;
}

/** A pipeline over fixed accounts that records what it hands on and every outcome. */
export function testPipeline(
  accounts: { account: string; keyHex?: string; binaryCrc?: boolean; clockOffsetMinutes?: number }[],
  opts: { now?: () => number; handle?: (m: Dc09Message<TestAccount>) => Promise<Verdict> } = {},
) {
  const handled: Dc09Message<TestAccount>[] = [];
  const outcomes: OutcomeInfo[] = [];
  const table = new Map(
    accounts.map((a) => [
      a.account.toUpperCase(),
      {
        account: a.account.toUpperCase(),
        key: a.keyHex ? keyFromHex(a.keyHex) : undefined,
        binaryCrc: a.binaryCrc,
        clockOffsetMinutes: a.clockOffsetMinutes,
      } satisfies TestAccount,
    ]),
  );
  const pipeline = new Dc09Pipeline<TestAccount>({
    lookup: (who) => table.get(who.account),
    handle: async (m) => {
      handled.push(m);
      return opts.handle ? opts.handle(m) : 'ack';
    },
    onOutcome: (o) => outcomes.push(o),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { pipeline, handled, outcomes };
}

/** The single frame a datagram holds (throws when it holds a fault or several frames). */
export function onlyFrame(bytes: Buffer): Frame {
  const items = splitDatagram(bytes);
  const first = items[0];
  if (items.length !== 1 || !first || !('frame' in first))
    throw new Error(
      `expected one frame, got ${JSON.stringify(items.map((i) => ('fault' in i ? i.fault : 'frame')))}`,
    );
  return first.frame;
}

/** Printable view of frame bytes for failure messages: LF/CR and binary bytes as <xx>. */
export function show(b: Buffer): string {
  return [...b]
    .map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `<${c.toString(16).padStart(2, '0')}>`))
    .join('');
}
