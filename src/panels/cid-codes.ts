import type { PanelEventType } from '../core/events.js';

/**
 * Contact ID (SIA DC-05) event codes mapped to the normalized model. A code is a qualifier (`E` new
 * event / opening, `R` restore / closing) and three digits. Panels send the code next to the protocol
 * `type`; the code is the panel firmware's precise statement, so a known code decides the type.
 */
export interface CidMeaning {
  /** Normalized type of the `E` (new event) qualifier. */
  type: PanelEventType;
  /** What the code says, stored on the event's detail. */
  description: string;
  /** Trouble reason (`detail.reason`) for trouble codes. */
  reason?: string;
}

/**
 * Contact ID codes by number. Openings/closings (4xx) are arm/disarm: for them `R` means "armed" and
 * `E` means "disarmed", which is the one place the qualifier does not mean restore.
 */
export const CID_CODES: Readonly<Record<string, CidMeaning>> = {
  '100': { type: 'medical', description: 'medical alarm' },
  '101': { type: 'medical', description: 'personal emergency' },
  '110': { type: 'fire', description: 'fire alarm' },
  '111': { type: 'fire', description: 'smoke' },
  '114': { type: 'fire', description: 'heat' },
  '120': { type: 'panic', description: 'panic alarm' },
  '121': { type: 'duress', description: 'duress' },
  '122': { type: 'panic', description: 'silent panic' },
  '123': { type: 'panic', description: 'audible panic' },
  '130': { type: 'intrusion', description: 'burglary' },
  '131': { type: 'intrusion', description: 'perimeter burglary' },
  '132': { type: 'intrusion', description: 'interior burglary' },
  '133': { type: 'intrusion', description: '24 hour burglary' },
  '134': { type: 'intrusion', description: 'entry/exit burglary' },
  '137': { type: 'tamper', description: 'burglary tamper' },
  '144': { type: 'tamper', description: 'sensor tamper' },
  '145': { type: 'tamper', description: 'expansion module tamper' },
  '300': { type: 'trouble', description: 'system trouble', reason: 'system' },
  '301': { type: 'trouble', description: 'AC loss', reason: 'ac_loss' },
  '302': { type: 'trouble', description: 'low system battery', reason: 'low_battery' },
  '305': { type: 'trouble', description: 'system reset', reason: 'system_reset' },
  '311': { type: 'trouble', description: 'battery missing or dead', reason: 'battery_missing' },
  '321': { type: 'trouble', description: 'bell/siren trouble', reason: 'siren' },
  '350': { type: 'trouble', description: 'communication trouble', reason: 'communication' },
  '351': { type: 'trouble', description: 'telco 1 fault', reason: 'telco' },
  '373': { type: 'trouble', description: 'fire trouble', reason: 'fire_trouble' },
  '380': { type: 'trouble', description: 'sensor trouble', reason: 'sensor' },
  '384': { type: 'trouble', description: 'RF low battery', reason: 'rf_low_battery' },
  '400': { type: 'disarm', description: 'open/close' },
  '401': { type: 'disarm', description: 'open/close by user' },
  '403': { type: 'disarm', description: 'automatic open/close' },
  '406': { type: 'disarm', description: 'cancel by user' },
  '407': { type: 'disarm', description: 'remote arm/disarm' },
  '409': { type: 'disarm', description: 'keyswitch open/close' },
  '441': { type: 'disarm', description: 'armed stay (home)' },
  '601': { type: 'test', description: 'manual trigger test' },
  '602': { type: 'test', description: 'periodic test report' },
  '603': { type: 'test', description: 'periodic RF transmission' },
};

const OPEN_CLOSE = /^4\d\d$/;

export interface CidMapping {
  type: PanelEventType;
  /** Goes to `NormalizedEvent.detail`. */
  detail: Record<string, unknown>;
}

/**
 * Maps a Contact ID code. `undefined` for a code this table does not know: the caller keeps the
 * protocol `type` and records the code as unknown rather than dropping the event.
 */
export function mapCid(cid: string): CidMapping | undefined {
  const m = /^([ER])(\d{3})$/.exec(cid);
  if (!m) return undefined;
  const qualifier = m[1] as 'E' | 'R';
  const code = m[2] as string;
  const meaning = CID_CODES[code];
  if (!meaning) return undefined;
  const detail: Record<string, unknown> = { cidDescription: meaning.description };
  if (OPEN_CLOSE.test(code)) {
    // Contact ID: E4xx is an opening (disarm), R4xx a closing (arm).
    const type: PanelEventType = qualifier === 'R' ? 'arm' : 'disarm';
    if (qualifier === 'R' && code === '441') detail['mode'] = 'home';
    return { type, detail };
  }
  if (meaning.reason) detail['reason'] = meaning.reason;
  if (qualifier === 'R') {
    detail['restoreOf'] = meaning.type;
    return { type: 'restore', detail };
  }
  return { type: meaning.type, detail };
}

/**
 * SIA DC-03 event codes (DC-09 `SIA-DCS` messages) as the qualified Contact ID code of the same
 * meaning (after the ADM-CID ↔ SIA table pysiaalarm ships), so both formats share one table of
 * meanings. For SIA, `xA` is an alarm, `xH` its restore and `xR` a restoral; `xT` a trouble and `xJ`
 * its restore; `OP`/`CL` opening (disarm) and closing (arm). A code missing here is stored as unknown,
 * never dropped.
 */
export const SIA_CODES: Readonly<Record<string, string>> = {
  // panic
  PA: 'E120',
  PH: 'R120',
  PR: 'R120',
  // hold-up: a silent panic
  HA: 'E122',
  HH: 'R122',
  HR: 'R122',
  // burglary
  BA: 'E130',
  BH: 'R130',
  BR: 'R130',
  // fire; heat
  FA: 'E110',
  FH: 'R110',
  FR: 'R110',
  KA: 'E114',
  KH: 'R114',
  KR: 'R114',
  // medical; personal emergency
  MA: 'E100',
  MH: 'R100',
  MR: 'R100',
  QA: 'E101',
  QH: 'R101',
  QR: 'R101',
  // tamper; expansion device tamper
  TA: 'E137',
  TR: 'R137',
  ES: 'E145',
  EJ: 'R145',
  // AC (mains), system battery, battery missing, service required, power up
  AT: 'E301',
  AR: 'R301',
  YT: 'E302',
  YR: 'R302',
  YM: 'E311',
  YX: 'E300',
  YZ: 'R300',
  RR: 'E305',
  // bell fault, communications fail, phone line
  YA: 'E321',
  YH: 'R321',
  YC: 'E350',
  YK: 'R350',
  LT: 'E351',
  LR: 'R351',
  // burglary and untyped zone trouble, fire trouble, transmitter battery
  BT: 'E380',
  BJ: 'R380',
  UT: 'E380',
  UJ: 'R380',
  FT: 'E373',
  FJ: 'R373',
  XT: 'E384',
  XR: 'R384',
  // openings (disarm) and closings (arm): by user, area, automatic, remote, keyswitch; perimeter (stay) armed
  OP: 'E401',
  CL: 'R401',
  OG: 'E401',
  CG: 'R401',
  OA: 'E403',
  CA: 'R403',
  OQ: 'E407',
  CQ: 'R407',
  OS: 'E409',
  CS: 'R409',
  NL: 'R441',
  // alarm cancelled by a user
  BC: 'E406',
  OC: 'E406',
  // automatic and manual test
  RP: 'E602',
  RX: 'E601',
};

/** Maps a SIA event code through its Contact ID equivalent; `undefined` for a code the table lacks. */
export function mapSia(code: string): (CidMapping & { cid: string }) | undefined {
  const cid = SIA_CODES[code];
  const mapped = cid ? mapCid(cid) : undefined;
  return cid && mapped ? { ...mapped, cid } : undefined;
}
