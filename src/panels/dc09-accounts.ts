import { keyFromHex } from '../../drivers/sia-dc09/crypto.js';
import type { AccountPolicy } from '../../drivers/sia-dc09/pipeline.js';
import { parseUtcOffset } from '../../drivers/sia-dc09/timestamp.js';
import type { PanelConfig } from '../config/sections/panels.js';

/** A configured DC-09 account: the receiver's policy for it and the panel it speaks for. */
export interface Dc09Account extends AccountPolicy {
  panelId: string;
  site: string;
  account: string;
  receiver: string | undefined;
  line: string | undefined;
}

/** Hex numbers compare by value: a panel sending `L000` is on line `0`. */
const norm = (hex: string | undefined) => (hex === undefined ? undefined : hex.replace(/^0+/, '') || '0');

/**
 * Accounts of every panel with a `dc09` section. A message names an account and (optionally) a
 * receiver and line; an entry that names a receiver or line matches only those, and the most specific
 * matching entry wins.
 */
export class Dc09Accounts {
  private readonly byAccount = new Map<string, Dc09Account[]>();
  readonly size: number;

  constructor(panels: readonly PanelConfig[]) {
    let n = 0;
    for (const p of panels) {
      if (!p.dc09) continue;
      const offset = p.dc09.localTimeOffset ? parseUtcOffset(p.dc09.localTimeOffset) : undefined;
      const entry: Dc09Account = {
        panelId: p.id,
        site: p.site,
        account: p.dc09.account.toUpperCase(),
        receiver: norm(p.dc09.receiver?.toUpperCase()),
        line: norm(p.dc09.line?.toUpperCase()),
        key: p.dc09.key ? keyFromHex(p.dc09.key) : undefined,
        clockOffsetMinutes: offset,
        binaryCrc: p.dc09.binaryCrc,
      };
      const list = this.byAccount.get(entry.account) ?? [];
      list.push(entry);
      this.byAccount.set(entry.account, list);
      n++;
    }
    this.size = n;
  }

  lookup(who: { account: string; receiver: string | undefined; line: string }): Dc09Account | undefined {
    const receiver = norm(who.receiver);
    const line = norm(who.line);
    let best: Dc09Account | undefined;
    let bestScore = -1;
    for (const a of this.byAccount.get(who.account.toUpperCase()) ?? []) {
      if (a.receiver !== undefined && a.receiver !== receiver) continue;
      if (a.line !== undefined && a.line !== line) continue;
      const score = (a.receiver !== undefined ? 1 : 0) + (a.line !== undefined ? 1 : 0);
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    return best;
  }
}
