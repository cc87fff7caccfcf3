import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Panel protocol v1 payloads (DESIGN.md). The driver validates; the service maps them to its model. */

export const PANEL_EVENT_TYPES = [
  'panic',
  'intrusion',
  'fire',
  'duress',
  'medical',
  'tamper',
  'trouble',
  'restore',
  'arm',
  'disarm',
  'test',
] as const;
export type PanelWireEventType = (typeof PANEL_EVENT_TYPES)[number];

/** Alarm types an event is kept for even when its payload is malformed (issue 13: never dropped). */
export const SALVAGED_TYPES: readonly PanelWireEventType[] = [
  'panic',
  'duress',
  'fire',
  'medical',
  'intrusion',
];

export const panelEventSchema = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(PANEL_EVENT_TYPES),
  zone: z.union([z.string().max(32), z.number().int().transform(String)]).optional(),
  ts: z.iso.datetime({ offset: true }),
  cid: z
    .string()
    .regex(/^[ER]\d{3}$/, 'a Contact ID code: E or R and three digits, e.g. E120')
    .optional(),
});
export type PanelWireEvent = z.infer<typeof panelEventSchema> & {
  /**
   * What was wrong with a payload that was still kept because it names an alarm (the id, the time
   * or the code were missing or malformed). Absent on a well-formed event.
   */
  problems?: string[];
  /** Device clock minus the receiver's clock, seconds, when it is off by more than the allowed skew. */
  clockSkewSeconds?: number;
};

export const heartbeatSchema = z.object({
  ts: z.iso.datetime({ offset: true }).optional(),
  battery: z.number().min(0).max(100).optional(),
  mains: z.boolean().optional(),
});
export type PanelHeartbeat = z.infer<typeof heartbeatSchema>;

export const PANEL_COMMANDS = ['arm_away', 'arm_home', 'disarm', 'silence', 'test'] as const;
export type PanelCommandName = (typeof PANEL_COMMANDS)[number];

/** Service → panel on `…/command`. */
export interface PanelCommandMessage {
  command: PanelCommandName;
  requestId: string;
  /**
   * ISO-8601 time after which the panel must not carry the command out (protocol v1 extension):
   * a command queued for a panel that was offline must not disarm it hours later.
   */
  expiresAt?: string;
}

/** Panel → service on `…/reply`. */
export const commandReplySchema = z.object({
  requestId: z.string().min(1).max(128),
  ok: z.boolean(),
  error: z.string().max(500).optional(),
});
export type PanelCommandReply = z.infer<typeof commandReplySchema>;

export interface PanelAck {
  id: string;
  incident?: string;
  state: 'received' | 'acknowledged' | 'dispatched' | 'resolved';
}

export type RejectReason =
  | 'too_large'
  | 'bad_json'
  | 'bad_payload'
  | 'unknown_type'
  | 'clock_skew'
  | 'unknown_panel'
  | 'not_authorized';

export class PanelProtocolError extends Error {
  constructor(
    readonly reason: RejectReason,
    detail: string,
  ) {
    super(`mqtt-panel: ${detail}`);
    this.name = 'PanelProtocolError';
  }
}

/** Payloads up to this size are still searched for an alarm when over `maxBytes`. */
const SALVAGE_MAX_BYTES = 64 * 1024;

function salvageId(payload: Buffer): string {
  return `salvaged-${createHash('sha256').update(payload).digest('hex').slice(0, 16)}`;
}

/**
 * An alarm kept from a malformed payload: the type it names, the fields that are usable, the receive
 * time for a missing or broken `ts`, and an id derived from the bytes (a redelivery carries the same
 * bytes, so it is still recognised as one).
 */
function salvage(
  payload: Buffer,
  type: PanelWireEventType,
  raw: Record<string, unknown> | undefined,
  problems: string[],
  now: number,
): PanelWireEvent {
  const id = raw?.['id'];
  const zone = raw?.['zone'];
  const ts = raw?.['ts'];
  const cid = raw?.['cid'];
  const ev: PanelWireEvent = {
    id: typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : salvageId(payload),
    type,
    ts:
      typeof ts === 'string' && z.iso.datetime({ offset: true }).safeParse(ts).success
        ? ts
        : new Date(now).toISOString(),
    problems,
  };
  if (typeof zone === 'string' || typeof zone === 'number') ev.zone = String(zone).slice(0, 32);
  if (typeof cid === 'string' && /^[ER]\d{3}$/.test(cid)) ev.cid = cid;
  return ev;
}

/**
 * Parses an event payload. Throws a PanelProtocolError naming what is wrong, except when the payload
 * still names an alarm type (`SALVAGED_TYPES`): an alarm is never dropped for how it is written, so
 * it is returned with `problems`. A device clock further off than `maxSkewMs` is kept too, with
 * `clockSkewSeconds`: the service dates the event by its own clock.
 */
export function parsePanelEvent(
  payload: Buffer,
  opts: { maxBytes: number; maxSkewMs: number; now: number },
): PanelWireEvent {
  const problems: string[] = [];
  if (payload.length > opts.maxBytes) {
    if (payload.length > SALVAGE_MAX_BYTES)
      throw new PanelProtocolError(
        'too_large',
        `payload is ${payload.length} bytes; the limit is ${opts.maxBytes}`,
      );
    problems.push(`payload is ${payload.length} bytes; the limit is ${opts.maxBytes}`);
  }
  const text = payload.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const named = /"type"\s*:\s*"([a-z_]+)"/.exec(text)?.[1] as PanelWireEventType | undefined;
    if (named && SALVAGED_TYPES.includes(named))
      return salvage(payload, named, undefined, [...problems, 'payload is not valid JSON'], opts.now);
    throw new PanelProtocolError('bad_json', 'payload is not valid JSON');
  }
  const res = panelEventSchema.safeParse(raw);
  const obj = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : undefined;
  if (!res.success || problems.length > 0) {
    const type = obj?.['type'];
    const issues = res.success
      ? []
      : res.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`);
    if (typeof type === 'string' && SALVAGED_TYPES.includes(type as PanelWireEventType))
      return salvage(payload, type as PanelWireEventType, obj, [...problems, ...issues], opts.now);
    if (problems.length > 0) throw new PanelProtocolError('too_large', problems[0]!);
    const typeIssue =
      !res.success && res.error.issues.find((i) => i.path[0] === 'type' && i.code === 'invalid_value');
    if (typeIssue) throw new PanelProtocolError('unknown_type', `unknown event type ${JSON.stringify(type)}`);
    throw new PanelProtocolError('bad_payload', issues.join('; '));
  }
  const ev: PanelWireEvent = res.data;
  const skewMs = Date.parse(ev.ts) - opts.now;
  // A panel whose clock reset after a power cut (year 2000) still reports its panic: the skew is kept
  // and shown, the receive time dates the event.
  if (Math.abs(skewMs) > opts.maxSkewMs) ev.clockSkewSeconds = Math.round(skewMs / 1000);
  return ev;
}
