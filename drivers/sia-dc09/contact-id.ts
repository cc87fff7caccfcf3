/**
 * Contact ID (SIA DC-05) as DC-09 carries it in `ADM-CID` messages: `#<acct>|QEEE GG ZZZ` — qualifier
 * Q (1 new event or opening, 3 restore or closing, 6 previously reported condition still present),
 * event code EEE, group/partition GG, zone or user ZZZ.
 */
import { splitAccount } from './sia-data.js';

export type CidQualifier = 'new' | 'restore' | 'status';

export interface ContactIdEvent {
  qualifier: CidQualifier;
  /** Three digits, e.g. `120`. */
  code: string;
  /** Two digits; `00` when the panel has no partitions. */
  partition: string;
  /** Three digits: the zone, or the user for openings and closings. */
  zone: string;
}

const QUALIFIERS: Readonly<Record<string, CidQualifier>> = { '1': 'new', '3': 'restore', '6': 'status' };
const DIGITS_OF: Readonly<Record<CidQualifier, string>> = { new: '1', restore: '3', status: '6' };
// Spaces are optional: some panels run the fields together (`1130010003`).
const BODY = /^([0-9])(\d{3}) ?([0-9A-Fa-f]{2}) ?([0-9A-Fa-f]{3})$/;

export function parseContactId(
  data: string,
): { account: string | undefined; event: ContactIdEvent } | undefined {
  const split = splitAccount(data);
  if (!split) return undefined;
  const m = BODY.exec(split.rest.trim());
  if (!m) return undefined;
  const qualifier = QUALIFIERS[m[1] as string];
  if (!qualifier) return undefined;
  return {
    account: split.account,
    event: { qualifier, code: m[2] as string, partition: m[3] as string, zone: m[4] as string },
  };
}

export function formatContactId(e: ContactIdEvent & { account?: string | undefined }): string {
  const acct = e.account !== undefined ? `#${e.account}|` : '';
  return `${acct}${DIGITS_OF[e.qualifier]}${e.code} ${e.partition} ${e.zone}`;
}
