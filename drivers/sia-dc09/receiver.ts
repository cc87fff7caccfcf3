import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameSplitter, type SplitItem, splitDatagram } from './frame.js';
import { type AccountPolicy, Dc09Pipeline, type PipelineOptions } from './pipeline.js';

export interface ReceiverOptions<A extends AccountPolicy> extends PipelineOptions<A> {
  host: string;
  /** One port for TCP and UDP; 0 picks one free for both. */
  port: number;
  /** A TCP connection silent this long is closed (panels reconnect for their next message). */
  idleTimeoutMs?: number;
  /** Called when answering a frame throws (a bug, not a protocol fault): the frame gets no answer. */
  onError?(err: unknown, remote: string): void;
}

/**
 * A DC-09 receiver on TCP and UDP. TCP connections are persistent and carry many messages: each
 * connection's messages are answered in order, one at a time, as a panel sends them; different
 * connections are answered concurrently (their commits share the service's group commit). A UDP
 * datagram is one message, answered to its sender.
 */
export class Dc09Receiver<A extends AccountPolicy> {
  readonly pipeline: Dc09Pipeline<A>;
  private tcp: Server | undefined;
  private udp: UdpSocket | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Set<Promise<unknown>>();
  private boundPort = 0;

  constructor(private readonly opts: ReceiverOptions<A>) {
    this.pipeline = new Dc09Pipeline(opts);
  }

  get port(): number {
    return this.boundPort;
  }

  connections(): number {
    return this.sockets.size;
  }

  async start(): Promise<{ port: number }> {
    // With port 0 the TCP port is free but the same UDP port may not be: try a few.
    for (let attempt = 0; ; attempt++) {
      const tcp = await this.listenTcp(this.opts.port);
      const port = (tcp.address() as { port: number }).port;
      try {
        this.udp = await this.bindUdp(port);
        this.tcp = tcp;
        this.boundPort = port;
        return { port };
      } catch (err) {
        await new Promise<void>((r) => tcp.close(() => r()));
        if (this.opts.port !== 0 || attempt >= 4) throw err;
      }
    }
  }

  /**
   * Stops listening, lets messages being committed finish and answers them (up to `graceMs`), then
   * closes the connections.
   */
  async stop(graceMs = 5000): Promise<void> {
    const tcp = this.tcp;
    this.tcp = undefined;
    const closed = tcp ? new Promise<void>((r) => tcp.close(() => r())) : Promise.resolve();
    if (this.inflight.size > 0) {
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
  }

  private listenTcp(port: number): Promise<Server> {
    const server = createServer((socket) => this.onConnection(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private bindUdp(port: number): Promise<UdpSocket> {
    const udp = createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.opts.host, () => {
        udp.off('error', reject);
        udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
        udp.on('error', (err) => this.opts.onError?.(err, 'udp'));
        resolve(udp);
      });
    });
  }

  private onConnection(socket: Socket): void {
    const remote = `tcp:${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    // An ACK is a small write right after a commit: Nagle would hold it for the panel's delayed ACK.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(this.opts.idleTimeoutMs ?? 15 * 60_000, () => socket.end());
    const splitter = new FrameSplitter();
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) {
        chain = chain.then(() => this.answer(item, remote, (out) => socket.writable && socket.write(out)));
      }
    });
    socket.on('error', () => socket.destroy()); // resets by panels are routine; 'close' cleans up
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const item of splitter.end()) void this.answer(item, remote, () => false);
    });
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const remote = `udp:${rinfo.address}:${rinfo.port}`;
    for (const item of splitDatagram(msg)) {
      void this.answer(item, remote, (out) => {
        this.udp?.send(out, rinfo.port, rinfo.address);
        return true;
      });
    }
  }

  private answer(item: SplitItem, remote: string, reply: (out: Buffer) => boolean): Promise<void> {
    if ('fault' in item) {
      this.pipeline.fault(
        item.fault,
        `${item.detail}: ${JSON.stringify(item.sample.toString('latin1'))}`,
        remote,
      );
      return Promise.resolve();
    }
    const job = this.pipeline.answer(item.frame, remote).then(
      (out) => {
        if (out) reply(out);
      },
      (err: unknown) => this.opts.onError?.(err, remote),
    );
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
    return job;
  }
}
