import { type ContactIdEvent, parseContactId } from './contact-id.js';
import { Dc09CryptoError, decryptRegion, stripPad } from './crypto.js';
import { type CrcForm, encodeFrame, type Frame, type FrameFault } from './frame.js';
import {
  type ClearContent,
  type Dc09Header,
  isMessageType,
  type MessageType,
  parseClear,
  parseHeader,
} from './message.js';
import { ackBody, duhBody, type EchoFields, nakBody } from './responses.js';
import { parseSiaData, type SiaEvent } from './sia-data.js';
import { parseTimestamp } from './timestamp.js';

/** What the receiver needs to know of an account; the wiring adds its own fields (panel, site…). */
export interface AccountPolicy {
  /** AES key: this account's messages must be encrypted. */
  key?: Buffer | undefined;
  /** The panel's clock runs this many minutes ahead of UTC (it sends local time). */
  clockOffsetMinutes?: number | undefined;
  /** The panel sends a two-byte binary CRC; frames in that form from other accounts are dropped. */
  binaryCrc?: boolean | undefined;
}

export type Dc09Event = ({ format: 'SIA' } & SiaEvent) | ({ format: 'CID' } & ContactIdEvent);

export interface Dc09Message<A extends AccountPolicy> {
  policy: A;
  type: MessageType;
  encrypted: boolean;
  seq: string;
  receiver: string | undefined;
  line: string;
  /** Upper-case account, from the header or else the data block. */
  account: string;
  content: ClearContent;
  /** Epoch ms of the panel's timestamp (offset applied), when it sent one. */
  timestamp: number | undefined;
  /** Empty for `NULL`. */
  events: Dc09Event[];
  form: CrcForm;
}

/** `ack`: durable, answer ACK. `duh`: came through, cannot be handled. */
export type Verdict = 'ack' | 'duh';

export type Outcome = 'ack' | 'nak' | 'duh' | 'unknown_account' | 'failed' | FrameFault;

export interface OutcomeInfo {
  outcome: Outcome;
  /** Why, for everything but a plain ACK: `time_window`, `replay`, `no_key`, `crc_form`… */
  reason?: string;
  detail?: string;
  account?: string;
  seq?: string;
  remote: string;
  /** Frame in → answer out, for answered messages. */
  ms?: number;
}

export interface PipelineOptions<A extends AccountPolicy> {
  lookup(who: { account: string; receiver: string | undefined; line: string }): A | undefined;
  /** Resolves once what the message says is durable; rejects when it is not (no answer goes out). */
  handle(message: Dc09Message<A>): Promise<Verdict>;
  onOutcome?(info: OutcomeInfo): void;
  /** Encrypted messages older than this are NAKed (5.5.1.9: 40 s). */
  maxPastMs?: number;
  /** Encrypted messages further ahead than this are NAKed (20 s). */
  maxFutureMs?: number;
  now?: () => number;
}

class Refusal {
  constructor(
    readonly outcome: 'duh' | 'nak' | 'unknown_account' | 'bad_crc' | 'bad_frame',
    readonly reason: string,
    readonly detail: string,
  ) {}
}

/**
 * Decides the answer to one frame whose CRC and length were right: find the account, decrypt, check
 * the time window and replays, read the events, let the service make them durable, then ACK. The
 * order matters: nothing is handed on before it is authenticated (decrypted with the account's key
 * and inside the window), and the ACK waits for `handle` to resolve.
 */
export class Dc09Pipeline<A extends AccountPolicy> {
  private readonly now: () => number;
  private readonly maxPastMs: number;
  private readonly maxFutureMs: number;
  /** Encrypted messages accepted inside the window, by account|seq|timestamp → when to forget. */
  private readonly recent = new Map<string, number>();
  private lastPurge = 0;

  constructor(private readonly opts: PipelineOptions<A>) {
    this.now = opts.now ?? Date.now;
    this.maxPastMs = opts.maxPastMs ?? 40_000;
    this.maxFutureMs = opts.maxFutureMs ?? 20_000;
  }

  /** Counts a frame the splitter dropped (bad CRC, bad length, bytes outside a frame). */
  fault(outcome: FrameFault, detail: string, remote: string): void {
    this.opts.onOutcome?.({ outcome, detail, remote });
  }

  /** The answer frame, or `undefined` when the standard wants silence (or the commit failed). */
  async answer(frame: Frame, remote: string): Promise<Buffer | undefined> {
    const t0 = performance.now();
    const header = parseHeader(frame.body);
    if (!header) {
      this.opts.onOutcome?.({ outcome: 'bad_frame', reason: 'header', detail: 'no DC-09 header', remote });
      return undefined;
    }
    const echo: EchoFields = {
      seq: header.seq,
      receiver: header.receiver,
      line: header.line,
      account: header.account,
    };
    const base = { seq: header.seq, remote, ...(header.account ? { account: header.account } : {}) };
    let message: Dc09Message<A>;
    try {
      message = this.read(header, frame.form);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      this.opts.onOutcome?.({ outcome: err.outcome, reason: err.reason, detail: err.detail, ...base });
      if (err.outcome === 'bad_crc' || err.outcome === 'bad_frame') return undefined;
      const policy = err.outcome === 'nak' ? this.policyOf(header) : undefined;
      const body =
        err.outcome === 'nak' ? nakBody(echo, this.now(), policy?.clockOffsetMinutes) : duhBody(echo);
      return encodeFrame(body, frame.form);
    }
    const replayKey = message.encrypted
      ? `${message.account}|${message.seq}|${message.content.timestamp}`
      : '';
    if (replayKey) this.remember(replayKey);
    let verdict: Verdict;
    try {
      verdict = await this.opts.handle(message);
    } catch (err) {
      // Not durable: no answer, so the panel repeats the message (and it is no replay then).
      if (replayKey) this.recent.delete(replayKey);
      this.opts.onOutcome?.({ outcome: 'failed', reason: 'not_stored', detail: String(err), ...base });
      return undefined;
    }
    const policy = message.policy;
    const body =
      verdict === 'ack'
        ? ackBody(echo, {
            key: message.encrypted ? policy.key : undefined,
            now: this.now(),
            offsetMinutes: policy.clockOffsetMinutes,
          })
        : duhBody(echo);
    this.opts.onOutcome?.({
      outcome: verdict,
      ...(verdict === 'duh' ? { reason: 'handler' } : {}),
      ...base,
      account: message.account,
      ms: performance.now() - t0,
    });
    return encodeFrame(body, frame.form);
  }

  private policyOf(h: Dc09Header): A | undefined {
    return h.account
      ? this.opts.lookup({
          account: h.account.toUpperCase(),
          receiver: up(h.receiver),
          line: h.line.toUpperCase(),
        })
      : undefined;
  }

  private read(h: Dc09Header, form: CrcForm): Dc09Message<A> {
    if (!isMessageType(h.token))
      throw new Refusal('duh', 'unknown_type', `message type "${h.token}" is not SIA-DCS, ADM-CID or NULL`);
    const type = h.token;
    let account = h.account?.toUpperCase();
    if (!account && !h.encrypted) {
      // Some panels name the account only inside the data block.
      const clear = parseClear(h.region);
      const inner = clear ? /^#?([0-9A-Fa-f]{3,16})\|/.exec(clear.data)?.[1] : undefined;
      account = inner?.toUpperCase();
    }
    if (!account) throw new Refusal('duh', 'no_account', 'the message names no account');
    const policy = this.opts.lookup({ account, receiver: up(h.receiver), line: h.line.toUpperCase() });
    if (!policy)
      throw new Refusal(
        'unknown_account',
        'unknown_account',
        `account ${account} (receiver ${h.receiver ?? '-'}, line ${h.line}) is not configured`,
      );
    if (form === 'binary' && !policy.binaryCrc)
      throw new Refusal(
        'bad_crc',
        'crc_form',
        `account ${account} sent a binary CRC but is not configured for it`,
      );
    const content = this.decode(h, policy, account);
    let timestamp: number | undefined;
    if (content.timestamp !== undefined) {
      timestamp = parseTimestamp(content.timestamp, policy.clockOffsetMinutes);
      if (timestamp === undefined)
        throw new Refusal('duh', 'bad_timestamp', `timestamp ${content.timestamp} is no real date`);
    }
    if (h.encrypted) this.checkWindow(account, h.seq, content.timestamp, timestamp);
    return {
      policy,
      type,
      encrypted: h.encrypted,
      seq: h.seq,
      receiver: h.receiver,
      line: h.line,
      account,
      content,
      timestamp,
      events: this.events(type, content.data),
      form,
    };
  }

  private decode(h: Dc09Header, policy: A, account: string): ClearContent {
    let clear: Buffer = h.region;
    if (h.encrypted) {
      if (!policy.key)
        throw new Refusal('duh', 'no_key', `account ${account} has no key for an encrypted message`);
      try {
        const stripped = stripPad(decryptRegion(policy.key, h.region.toString('latin1')));
        if (!stripped)
          throw new Refusal('duh', 'decrypt', 'decrypted data has no pad terminator: wrong key?');
        clear = stripped.clear;
      } catch (err) {
        if (err instanceof Dc09CryptoError) throw new Refusal('duh', 'decrypt', err.message);
        throw err;
      }
    } else if (policy.key) {
      // Accepting clear text from an account that has a key would let anyone speak for it.
      throw new Refusal('duh', 'encryption_required', `account ${account} must send encrypted messages`);
    }
    const content = parseClear(clear);
    if (!content)
      throw new Refusal('duh', h.encrypted ? 'decrypt' : 'bad_data', 'data is not `data]…_timestamp`');
    return content;
  }

  private checkWindow(account: string, seq: string, text: string | undefined, at: number | undefined): void {
    if (text === undefined || at === undefined)
      throw new Refusal('nak', 'no_timestamp', 'an encrypted message must carry a timestamp');
    const now = this.now();
    if (at < now - this.maxPastMs || at > now + this.maxFutureMs)
      throw new Refusal(
        'nak',
        'time_window',
        `timestamp ${text} is ${Math.round((at - now) / 1000)} s from now`,
      );
    const expiry = this.recent.get(`${account}|${seq}|${text}`);
    if (expiry !== undefined && expiry > now)
      throw new Refusal('nak', 'replay', `sequence ${seq} with timestamp ${text} was already accepted`);
  }

  private events(type: MessageType, data: string): Dc09Event[] {
    if (type === 'NULL') return [];
    if (type === 'ADM-CID') {
      const cid = parseContactId(data);
      if (!cid) throw new Refusal('duh', 'bad_data', `"${data.slice(0, 40)}" is not Contact ID QEEE GG ZZZ`);
      return [{ format: 'CID', ...cid.event }];
    }
    const sia = parseSiaData(data);
    if (!sia) throw new Refusal('duh', 'bad_data', `"${data.slice(0, 40)}" holds no SIA event`);
    return sia.events.map((e) => ({ format: 'SIA' as const, ...e }));
  }

  private remember(key: string): void {
    const now = this.now();
    this.recent.set(key, now + this.maxPastMs + this.maxFutureMs);
    if (now - this.lastPurge > 1000) {
      this.lastPurge = now;
      for (const [k, until] of this.recent) if (until <= now) this.recent.delete(k);
    }
  }
}

const up = (s: string | undefined) => s?.toUpperCase();
