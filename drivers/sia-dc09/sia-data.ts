/**
 * SIA DC-03 event data as DC-09 carries it in `SIA-DCS` messages: `#<acct>|N<fields>`. Fields are
 * two-letter lower-case modifiers with a value (`ri1` area, `id12` user, `pi3` peripheral, `ti14:37`
 * time, `da10-25-18` date), two-letter upper-case event codes with an address (`BA05` burglary in
 * zone 5, `CL501` closing by user 501), and `^text^`, optionally separated by `/`. One block may carry
 * several events; modifiers apply to the events after them.
 *
 * Seen in the field and tolerated: the account without `#` (`[3044|NOP1]`), no account at all
 * (`[|Nri1/CL501]`, `[Nri1/WA000]`), fields run together without `/`
 * (`Nri0000pi0006da10-25-18ti14:37:53UT0000^…^`).
 */
export interface SiaEvent {
  /** Two upper-case letters, e.g. `PA`, `BA`, `CL`. */
  code: string;
  /** Zone, or user for openings and closings; digits as sent. */
  address: string | undefined;
  /** `ri`: area (partition). */
  area: string | undefined;
  /** `id`: user number. */
  user: string | undefined;
  /** `^…^` text after the event. */
  text: string | undefined;
  /** Every modifier in force for this event (`ri`, `id`, `pi`, `ti`, `da`, …). */
  modifiers: Record<string, string>;
}

export interface SiaData {
  account: string | undefined;
  /** `N` new event (or none given), `O` old event. */
  block: 'N' | 'O';
  events: SiaEvent[];
}

const ACCOUNT_BLOCK = /^#?([0-9A-Fa-f]{0,16})$/;

/** Splits `#acct|rest`; `null` when the part before `|` is not an account. */
export function splitAccount(data: string): { account: string | undefined; rest: string } | null {
  const bar = data.indexOf('|');
  if (bar === -1) return { account: undefined, rest: data };
  const m = ACCOUNT_BLOCK.exec(data.slice(0, bar));
  if (!m) return null;
  return { account: m[1] || undefined, rest: data.slice(bar + 1) };
}

function tokenize(text: string): SiaEvent[] | undefined {
  const events: SiaEvent[] = [];
  const mods: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '/' || c === ' ') {
      i++;
    } else if (c === '^') {
      const end = text.indexOf('^', i + 1);
      if (end === -1) return undefined;
      const last = events[events.length - 1];
      if (last) last.text = text.slice(i + 1, end).trim();
      i = end + 1;
    } else if (/[a-z]/.test(c)) {
      const m = /^([a-z]{2})([0-9:.-]*)/.exec(text.slice(i));
      if (!m) return undefined;
      mods[m[1] as string] = m[2] as string;
      i += m[0].length;
    } else if (/[A-Z]/.test(c)) {
      const m = /^([A-Z]{2})(\d*)/.exec(text.slice(i));
      if (!m) return undefined;
      events.push({
        code: m[1] as string,
        address: m[2] || undefined,
        area: mods['ri'] || undefined,
        user: mods['id'] || undefined,
        text: undefined,
        modifiers: { ...mods },
      });
      i += m[0].length;
    } else {
      return undefined;
    }
  }
  return events;
}

/** Parses the data of a `SIA-DCS` message; `undefined` when it holds no event this grammar reads. */
export function parseSiaData(data: string): SiaData | undefined {
  const split = splitAccount(data);
  if (!split) return undefined;
  const { rest } = split;
  // The block code is `N` or `O`, but `NL` (perimeter armed) is also an event code: read `N…` as a
  // block first and fall back to the fields alone.
  for (const [block, fields] of [
    ['N', rest.startsWith('N') ? rest.slice(1) : undefined],
    ['O', rest.startsWith('O') ? rest.slice(1) : undefined],
    ['N', rest],
  ] as const) {
    if (fields === undefined) continue;
    const events = tokenize(fields);
    if (events && events.length > 0) return { account: split.account, block, events };
  }
  return undefined;
}

/** `#acct|Nri<area>/<code><address>` (the shape the dialler and the simulator send). */
export function formatSiaData(e: {
  account?: string | undefined;
  area?: string | undefined;
  code: string;
  address?: string | undefined;
  text?: string | undefined;
}): string {
  const acct = e.account !== undefined ? `#${e.account}|` : '';
  const area = e.area !== undefined ? `ri${e.area}/` : '';
  const text = e.text !== undefined ? `^${e.text}^` : '';
  return `${acct}N${area}${e.code}${e.address ?? ''}${text}`;
}
