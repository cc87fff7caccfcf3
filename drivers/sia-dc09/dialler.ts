import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { encryptRegion } from './crypto.js';
import { type CrcForm, encodeFrame, FrameSplitter } from './frame.js';
import { formatClear, formatHeader, type MessageType, type XData } from './message.js';
import { type ParsedReply, parseReply } from './responses.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

/**
 * A panel's side of DC-09, for tests, benchmarks and `simulate panel --dc09`: it frames and (with a
 * key) encrypts messages, numbers them 0001…9999 and round again (0000 stays for NULL, as field
 * panels send it), waits for the answer, repeats a message with the same sequence number on a
 * timeout, and after a NAK sets its clock from the NAK's timestamp and repeats (5.5.3.2).
 */
export interface DiallerOptions {
  host: string;
  port: number;
  transport?: 'tcp' | 'udp';
  account: string;
  receiver?: string | undefined;
  line?: string | undefined;
  key?: Buffer | undefined;
  form?: CrcForm;
  /** The panel's clock runs this many minutes ahead of UTC (a panel set to local time). */
  clockOffsetMinutes?: number | undefined;
  /** Milliseconds the panel's clock is off, on top of the offset (to test the time window). */
  clockErrorMs?: number;
  timeoutMs?: number;
  /** Transmissions per message, the first included. */
  attempts?: number;
  firstSeq?: number;
}

export interface OutgoingMessage {
  type: MessageType;
  data?: string;
  xdata?: XData[];
  /** Leave the timestamp out (allowed for unencrypted messages only). */
  noTimestamp?: boolean;
}

export interface DialReply extends ParsedReply {
  /** Send → answer of the last transmission. */
  ms: number;
  attempts: number;
}

export class Dc09DialTimeout extends Error {
  constructor(seq: string, attempts: number) {
    super(`sia-dc09: no answer to message ${seq} after ${attempts} transmission(s)`);
    this.name = 'Dc09DialTimeout';
  }
}

export class Dc09Dialler {
  private seq: number;
  private tcp: Socket | undefined;
  private udp: UdpSocket | undefined;
  private waiter: ((body: Buffer) => void) | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private clockErrorMs: number;

  constructor(private readonly o: DiallerOptions) {
    this.seq = o.firstSeq ?? 1;
    this.clockErrorMs = o.clockErrorMs ?? 0;
  }

  get account(): string {
    return this.o.account;
  }

  /** The panel's clock now, as epoch ms of UTC. */
  private clock(): number {
    return Date.now() + this.clockErrorMs;
  }

  nextSeq(): string {
    const s = String(this.seq).padStart(4, '0');
    this.seq = this.seq >= 9999 ? 1 : this.seq + 1;
    return s;
  }

  /** The frame of a message with sequence `seq` at the panel's clock `at` (tests mutate these bytes). */
  frame(msg: OutgoingMessage, seq: string, at = this.clock()): Buffer {
    const encrypted = this.o.key !== undefined;
    const ts = msg.noTimestamp && !encrypted ? undefined : formatTimestamp(at, this.o.clockOffsetMinutes);
    const head = formatHeader({
      token: msg.type,
      encrypted,
      seq,
      receiver: this.o.receiver,
      line: this.o.line ?? '0',
      account: this.o.account,
    });
    const clear = formatClear(msg.data ?? '', msg.xdata ?? [], ts);
    const region = this.o.key ? Buffer.from(encryptRegion(this.o.key, clear), 'latin1') : clear;
    return encodeFrame(Buffer.concat([Buffer.from(head, 'latin1'), region]), this.o.form ?? 'hex');
  }

  /** Sends a message and resolves with the receiver's ACK or DUH (a NAK is handled by repeating). */
  send(msg: OutgoingMessage): Promise<DialReply> {
    const seq = msg.type === 'NULL' ? '0000' : this.nextSeq();
    const run = this.chain.then(() => this.transmit(msg, seq));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Sends bytes as they are and resolves with the first answer, or `undefined` after `timeoutMs`. */
  async sendRaw(bytes: Buffer, timeoutMs = this.o.timeoutMs ?? 2000): Promise<Buffer | undefined> {
    const run = this.chain.then(async () => {
      await this.ensureOpen();
      const answer = this.nextAnswer(timeoutMs);
      this.write(bytes);
      return answer;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp && !tcp.destroyed) await new Promise<void>((r) => tcp.end(() => r()));
    tcp?.destroy();
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
  }

  private async transmit(msg: OutgoingMessage, seq: string): Promise<DialReply> {
    const attempts = this.o.attempts ?? 3;
    for (let n = 1; n <= attempts; n++) {
      await this.ensureOpen();
      const t0 = performance.now();
      const answer = this.nextAnswer(this.o.timeoutMs ?? 10_000);
      this.write(this.frame(msg, seq));
      const body = await answer;
      const ms = performance.now() - t0;
      if (!body) continue;
      const reply = parseReply(body, this.o.key);
      if (!reply) continue;
      if (reply.kind === 'NAK') {
        // 5.5.3.2: the NAK carries the receiver's time; set the clock from it and send again.
        const theirs = reply.timestamp
          ? parseTimestamp(reply.timestamp, this.o.clockOffsetMinutes)
          : undefined;
        if (theirs !== undefined) this.clockErrorMs += theirs - this.clock();
        if (n === attempts) return { ...reply, ms, attempts: n };
        continue;
      }
      if (reply.seq !== seq) continue; // an answer to an earlier transmission: keep waiting next time
      return { ...reply, ms, attempts: n };
    }
    throw new Dc09DialTimeout(seq, attempts);
  }

  private nextAnswer(timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (body) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(body);
      };
    });
  }

  private deliver(body: Buffer): void {
    this.waiter?.(body);
  }

  private write(bytes: Buffer): void {
    if (this.tcp) this.tcp.write(bytes);
    else this.udp?.send(bytes, this.o.port, this.o.host);
  }

  private async ensureOpen(): Promise<void> {
    if ((this.o.transport ?? 'tcp') === 'udp') {
      if (this.udp) return;
      const udp = createSocket(this.o.host.includes(':') ? 'udp6' : 'udp4');
      udp.on('message', (msg) => {
        for (const item of new FrameSplitter().push(msg)) if ('frame' in item) this.deliver(item.frame.body);
      });
      await new Promise<void>((r) => udp.bind(0, () => r()));
      this.udp = udp;
      return;
    }
    if (this.tcp && !this.tcp.destroyed) return;
    const splitter = new FrameSplitter();
    const socket = connect({ host: this.o.host, port: this.o.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => socket.destroy()); // the next send reconnects
    socket.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) if ('frame' in item) this.deliver(item.frame.body);
    });
    this.tcp = socket;
  }
}
