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
export type PanelWireEvent = z.infer<typeof panelEventSchema>;

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

/** Parses an event payload or throws a PanelProtocolError naming what is wrong. */
export function parsePanelEvent(
  payload: Buffer,
  opts: { maxBytes: number; maxSkewMs: number; now: number },
): PanelWireEvent {
  if (payload.length > opts.maxBytes) {
    throw new PanelProtocolError(
      'too_large',
      `payload is ${payload.length} bytes; the limit is ${opts.maxBytes}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new PanelProtocolError('bad_json', 'payload is not valid JSON');
  }
  const res = panelEventSchema.safeParse(raw);
  if (!res.success) {
    const typeIssue = res.error.issues.find((i) => i.path[0] === 'type' && i.code === 'invalid_value');
    if (typeIssue) {
      const got = (raw as { type?: unknown }).type;
      throw new PanelProtocolError('unknown_type', `unknown event type ${JSON.stringify(got)}`);
    }
    const msg = res.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    throw new PanelProtocolError('bad_payload', msg);
  }
  const skew = Math.abs(Date.parse(res.data.ts) - opts.now);
  if (skew > opts.maxSkewMs) {
    throw new PanelProtocolError(
      'clock_skew',
      `ts ${res.data.ts} is ${Math.round(skew / 1000)} s from the receiver's clock`,
    );
  }
  return res.data;
}
