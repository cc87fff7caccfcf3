import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
import levelPersistence from 'aedes-persistence-level';
import { Level } from 'level';
import mqtt, { type MqttClient } from 'mqtt';
import { AuthThrottle } from './auth-throttle.js';
import {
  heartbeatSchema,
  type PanelHeartbeat,
  PanelProtocolError,
  type PanelWireEvent,
  parsePanelEvent,
} from './protocol.js';
import { type PanelTopics, panelTopics } from './topics.js';

export interface PanelBrokerHooks {
  /** Checks a panel's credentials. */
  authenticate(panelId: string, secret: string): boolean;
  /** Whether a panel id is configured (binds MQTT client ids to panels). */
  knownPanel?(panelId: string): boolean;
  /**
   * Commits a valid event. The PUBACK is sent only after this resolves; if it rejects, the panel is
   * disconnected without a PUBACK and redelivers.
   */
  onEvent(panelId: string, event: PanelWireEvent): Promise<void>;
  onStatus(panelId: string, status: 'online' | 'offline'): void;
  onHeartbeat(panelId: string, heartbeat: PanelHeartbeat): void;
  /** Replies to commands, raw JSON. */
  onReply?(panelId: string, payload: unknown): void;
  /** Anything refused: bad payloads, foreign topics, wrong secrets. */
  onReject(panelId: string | undefined, reason: string, detail: string): void;
  /**
   * Decides a rehearsal's panic as `onEvent` would and keeps nothing of it. When given, the broker
   * rehearses a panel's whole round trip through itself before it listens (`EmbeddedPanelBroker`).
   */
  rehearse?(event: PanelWireEvent): Promise<void>;
}

/**
 * The client id and username of the broker's own rehearsal. Not a panel id (those start with a letter
 * or digit), and it logs in only with a one-time secret while the broker has not yet listened.
 */
export const REHEARSAL_CLIENT = '_rehearsal';

export interface EmbeddedBrokerOptions {
  /** Plain TCP port; `null` for none (TLS only). */
  port: number | null;
  host?: string;
  /** MQTT over TLS (8883 by convention) with the given certificate. */
  tls?: { port: number; cert: Buffer | string; key: Buffer | string; ca?: Buffer | string } | undefined;
  /**
   * Directory of the on-disk session store (LevelDB): panels' subscriptions and the QoS 1 acks and
   * commands queued for them survive a crash. In memory when absent.
   */
  sessionsDir?: string | undefined;
  /** Failed logins per address (and per panel id) per minute before further attempts are refused. */
  maxFailedLoginsPerMinute?: number;
  prefix?: string;
  maxPayloadBytes?: number;
  maxClockSkewSeconds?: number;
  hooks: PanelBrokerHooks;
  now?: () => number;
  /** Panel round trips rehearsed before listening when `hooks.rehearse` is given (default 3). */
  rehearsalRounds?: number;
  /** The rehearsal is abandoned after this long (default 5,000 ms) and the broker listens anyway. */
  rehearsalLimitMs?: number;
}

/** What the start-up rehearsal did: its round trips (each a PUBACK and an ack), or why it stopped. */
export type BrokerRehearsal = { rounds: number; ms: number } | { error: Error; ms: number };

/**
 * Aedes on TCP with panel protocol v1 enforced at the broker: every panel authenticates as itself,
 * publishes only under its own topics and subscribes only to its own ack and command topics.
 * Events are committed inside `authorizePublish`, which Aedes completes before it writes the PUBACK.
 */
export class EmbeddedPanelBroker {
  readonly topics: PanelTopics;
  private aedes: Aedes | undefined;
  private servers: Server[] = [];
  private level: Level<string, Buffer> | undefined;
  private readonly throttle: AuthThrottle;
  private readonly panelOf = new WeakMap<Client, string>();
  /**
   * A connection the same panel replaced with a newer one (an MQTT session takeover: a panel that
   * reconnects before the broker noticed its old link die, or the simulator beside a running panel).
   * Aedes closes the older one and publishes its will; the panel is still connected, through the
   * newer one, so that will is not a communication loss.
   */
  private readonly replacedBy = new WeakMap<Client, Client>();
  private readonly dropped = new WeakSet<PublishPacket>();
  /** The rehearsal's one-time secret, set only while it runs (before the broker listens). */
  private rehearsalSecret: Buffer | undefined;
  private readonly rehearsing = new WeakSet<Client>();

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    this.topics = panelTopics(opts.prefix);
    this.throttle = new AuthThrottle({ maxPerMinute: opts.maxFailedLoginsPerMinute ?? 10, now: opts.now });
  }

  /**
   * The configured panel a client id belongs to: the longest panel id it starts with, followed by
   * the end or a separator (`-`, `:`, `/`, `.`, `_`). A panel may connect only with a client id of
   * its own, so it cannot take another panel's session (kick it off, fire its will, take its acks).
   */
  private ownerOfClientId(clientId: string): string | undefined {
    const known = this.opts.hooks.knownPanel;
    if (!known) return undefined;
    if (known(clientId)) return clientId;
    for (let i = clientId.length - 1; i > 0; i--) {
      if (!'-:/._'.includes(clientId[i]!)) continue;
      const prefix = clientId.slice(0, i);
      if (known(prefix)) return prefix;
    }
    return undefined;
  }

  async start(): Promise<{ port: number; tlsPort?: number; rehearsal?: BrokerRehearsal }> {
    const { hooks } = this.opts;
    const now = this.opts.now ?? Date.now;
    const maxBytes = this.opts.maxPayloadBytes ?? 8192;
    const maxSkewMs = (this.opts.maxClockSkewSeconds ?? 86_400) * 1000;

    let persistence: ReturnType<typeof levelPersistence> | undefined;
    if (this.opts.sessionsDir) {
      mkdirSync(this.opts.sessionsDir, { recursive: true });
      this.level = new Level<string, Buffer>(this.opts.sessionsDir, { valueEncoding: 'buffer' });
      await this.level.open();
      persistence = levelPersistence(this.level);
    }
    const aedes = await Aedes.createBroker({
      ...(persistence ? { persistence } : {}),
      // mqemitter's default of 100 in flight queued acks behind a flood of incoming events.
      concurrency: 1000,
      authenticate: (client, username, password, done) => {
        if (username === REHEARSAL_CLIENT && this.isRehearsal(client.id, password)) {
          this.panelOf.set(client, REHEARSAL_CLIENT);
          this.rehearsing.add(client);
          return done(null, true);
        }
        const refuse = (reason: string, detail: string, returnCode: number) => {
          hooks.onReject(username, reason, detail);
          const err = Object.assign(new Error(detail), { returnCode });
          done(err as Error & { returnCode: number }, false);
        };
        const address = remoteAddress(client);
        if (this.throttle.blocked(address, username))
          return refuse('throttled', `too many failed logins from ${address}`, 5);
        const secret = password ? Buffer.from(password).toString('utf8') : '';
        if (!username || !hooks.authenticate(username, secret)) {
          this.throttle.failed(address, username);
          return refuse('bad_credentials', `client ${client.id} failed authentication`, 4);
        }
        if (hooks.knownPanel && this.ownerOfClientId(client.id) !== username) {
          // MQTT 3.1.1 CONNACK 2: identifier rejected.
          return refuse(
            'foreign_client_id',
            `panel ${username} may not use client id ${client.id}: it must start with its own id`,
            2,
          );
        }
        this.panelOf.set(client, username);
        const older = this.clients()[client.id];
        if (older && older !== client) this.replacedBy.set(older, client);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        const panelId = client ? this.panelOf.get(client) : undefined;
        const parsed = this.topics.parse(packet.topic);
        if (
          !client ||
          !panelId ||
          !parsed ||
          parsed.panelId !== panelId ||
          !['event', 'status', 'heartbeat', 'reply'].includes(parsed.kind)
        ) {
          hooks.onReject(panelId, 'not_authorized', `may not publish to ${packet.topic}`);
          return done(new Error('not authorized'));
        }
        if (parsed.kind !== 'event') return done(null);
        let event: PanelWireEvent;
        try {
          event = parsePanelEvent(packet.payload as Buffer, { maxBytes, maxSkewMs, now: now() });
        } catch (err) {
          if (!(err instanceof PanelProtocolError)) throw err;
          // A bad payload is acknowledged at the MQTT level and dropped: refusing it would make the
          // panel redeliver the same poison message forever.
          hooks.onReject(panelId, err.reason, err.message);
          this.dropped.add(packet);
          return done(null);
        }
        if (this.rehearsing.has(client)) return this.rehearseEvent(client, event, done);
        hooks.onEvent(panelId, event).then(
          () => {
            done(null);
            writeNow(client);
          },
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
      },
      authorizeSubscribe: (client, sub: Subscription, done) => {
        const panelId = client ? this.panelOf.get(client) : undefined;
        const allowed = panelId ? [this.topics.ack(panelId), this.topics.command(panelId)] : [];
        if (!allowed.includes(sub.topic)) {
          hooks.onReject(panelId, 'not_authorized', `may not subscribe to ${sub.topic}`);
          return done(null, null);
        }
        done(null, sub);
      },
      authorizeForward: (_client, packet) => (this.dropped.has(packet) ? null : packet),
      published: (packet, client, done) => {
        this.onPublished(packet, client);
        done(null);
      },
    });
    this.aedes = aedes;
    // Acks are small writes that follow the PUBACK: without TCP_NODELAY, Nagle holds them ~40 ms
    // waiting for the panel's delayed ACK.
    const handle = (socket: Socket) => {
      socket.setNoDelay(true);
      aedes.handle(socket);
    };
    const listen = async (server: Server, port: number) => {
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.opts.host ?? '0.0.0.0', () => resolve());
      });
      return (server.address() as AddressInfo).port;
    };
    const out: { port: number; tlsPort?: number; rehearsal?: BrokerRehearsal } = { port: 0 };
    if (hooks.rehearse) out.rehearsal = await this.rehearse(handle, this.opts.rehearsalRounds ?? 3);
    if (this.opts.port !== null) out.port = await listen(createServer(handle), this.opts.port);
    if (this.opts.tls) {
      const { cert, key, ca, port } = this.opts.tls;
      const tlsServer = createTlsServer({ cert, key, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' }, handle);
      out.tlsPort = await listen(tlsServer, port);
    }
    return out;
  }

  /**
   * Issue 13: the first panic after a start is acknowledged as fast as the rest. Before the broker
   * listens, a client of its own makes a panel's whole round trip through it `rounds` times, over
   * loopback TCP: connect, subscribe to its ack topic, publish a panic at QoS 1, take the PUBACK and
   * the QoS 1 ack, disconnect. The panic is decided by `hooks.rehearse` (rolled back), so what a real
   * panel's first panic would pay for once is paid here: Aedes' and mqtt-packet's handlers and the
   * session store on first use, the sockets' and streams' code, and the stream pipeline a connect
   * ends (its AbortController's DOMException). Its own topics and session are not a panel's (no
   * panel's queue sees its ack); its client cleans its session. A rehearsal that fails or takes over
   * 5 s is abandoned: the broker listens anyway.
   */
  private async rehearse(handle: (socket: Socket) => void, rounds: number): Promise<BrokerRehearsal> {
    const t0 = performance.now();
    const server = createServer(handle);
    const secret = randomBytes(24).toString('base64url');
    this.rehearsalSecret = Buffer.from(secret);
    let client: MqttClient | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Given up at the time limit: a round still under way starts no other.
    let abandoned = false;
    const run = async () => {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (let r = 0; r < rounds && !abandoned; r++) {
        client = await mqtt.connectAsync(url, {
          clientId: REHEARSAL_CLIENT,
          username: REHEARSAL_CLIENT,
          password: secret,
          clean: true,
          reconnectPeriod: 0,
        });
        const c = client;
        // A panic the broker refuses (its decision failed) ends the connection without a PUBACK.
        const dropped = new Promise<never>((_, reject) =>
          c.once('close', () => reject(new Error('the broker ended the rehearsal connection'))),
        );
        dropped.catch(() => undefined);
        const acked = new Promise<void>((resolve) => c.once('message', () => resolve()));
        await c.subscribeAsync(this.topics.ack(REHEARSAL_CLIENT), { qos: 1 });
        const panic = { id: `rehearsal-${r}`, type: 'panic', zone: '1', ts: new Date().toISOString() };
        const published = c.publishAsync(this.topics.event(REHEARSAL_CLIENT), JSON.stringify(panic), {
          qos: 1,
        });
        await Promise.race([Promise.all([published, acked]), dropped]);
        const gone = once(this.aedes!, 'clientDisconnect');
        await c.endAsync();
        await gone;
      }
    };
    const limitMs = this.opts.rehearsalLimitMs ?? 5000;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the broker rehearsal took over ${limitMs} ms`)), limitMs);
    });
    try {
      await Promise.race([run(), limit]);
      return { rounds, ms: performance.now() - t0 };
    } catch (err) {
      abandoned = true;
      client?.end(true);
      return { error: err instanceof Error ? err : new Error(String(err)), ms: performance.now() - t0 };
    } finally {
      clearTimeout(timer);
      this.rehearsalSecret = undefined;
      server.close();
    }
  }

  private isRehearsal(clientId: string, password: Buffer | undefined): boolean {
    const secret = this.rehearsalSecret;
    if (!secret || !password || clientId !== REHEARSAL_CLIENT || password.length !== secret.length)
      return false;
    return timingSafeEqual(password, secret);
  }

  /** The rehearsal's panic: decided and forgotten, then PUBACKed and acked as a real one would be. */
  private rehearseEvent(client: Client, event: PanelWireEvent, done: (err?: Error | null) => void): void {
    this.opts.hooks.rehearse!(event).then(
      () => {
        this.publish(this.topics.ack(REHEARSAL_CLIENT), { id: event.id, state: 'received' }).catch(
          () => undefined,
        );
        done(null);
        writeNow(client);
      },
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** Publishes from the service (acks, commands) at QoS 1. */
  publish(topic: string, payload: unknown, qos: 0 | 1 = 1): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('mqtt-panel: broker not started'));
    return new Promise((resolve, reject) => {
      aedes.publish(
        {
          cmd: 'publish',
          topic,
          payload: Buffer.from(JSON.stringify(payload)),
          qos,
          retain: false,
          dup: false,
        } as PublishPacket,
        (err?: Error) => (err ? reject(err) : resolve()),
      );
    });
  }

  connectedPanels(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    const servers = this.servers.splice(0);
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await this.level?.close();
    this.level = undefined;
  }

  /** Client ids of the connected panels (tests, health). */
  clientIds(): string[] {
    return Object.keys(this.clients());
  }

  private clients(): Record<string, Client | undefined> {
    return (this.aedes as unknown as { clients?: Record<string, Client> })?.clients ?? {};
  }

  private onPublished(packet: PublishPacket, client: Client | null): void {
    // Will messages arrive here with the client that died; service publications have client null.
    if (!client) return;
    const panelId = this.panelOf.get(client);
    const parsed = this.topics.parse(packet.topic);
    if (!panelId || !parsed || parsed.panelId !== panelId) return;
    const { hooks } = this.opts;
    const text = (packet.payload as Buffer).toString('utf8');
    if (parsed.kind === 'status') {
      const newer = this.replacedBy.get(client);
      // The panel is still connected through its newer connection (see replacedBy).
      if (text === 'offline' && newer && !newer.closed) return;
      if (text === 'online' || text === 'offline') hooks.onStatus(panelId, text);
      else
        hooks.onReject(
          panelId,
          'bad_payload',
          `status must be "online" or "offline", got ${JSON.stringify(text.slice(0, 40))}`,
        );
    } else if (parsed.kind === 'heartbeat') {
      let raw: unknown = {};
      try {
        raw = text.length > 0 ? JSON.parse(text) : {};
      } catch {
        hooks.onReject(panelId, 'bad_json', 'heartbeat is not valid JSON');
        return;
      }
      const hb = heartbeatSchema.safeParse(raw);
      if (hb.success) hooks.onHeartbeat(panelId, hb.data);
      else hooks.onReject(panelId, 'bad_payload', `heartbeat: ${hb.error.issues[0]?.message ?? 'invalid'}`);
    } else if (parsed.kind === 'reply' && hooks.onReply) {
      try {
        hooks.onReply(panelId, JSON.parse(text));
      } catch {
        hooks.onReject(panelId, 'bad_json', 'reply is not valid JSON');
      }
    }
  }
}

function remoteAddress(client: Client): string {
  const conn = (
    client as unknown as { conn?: { remoteAddress?: string; socket?: { remoteAddress?: string } } }
  ).conn;
  return conn?.remoteAddress ?? conn?.socket?.remoteAddress ?? 'unknown';
}

/**
 * Sends what Aedes just wrote to a client (the PUBACK). mqtt-packet corks the socket and uncorks it
 * on the next tick, and a tick queued from inside a promise job runs only after every other promise
 * job queued meanwhile: the PUBACK waited for the socket rooms' reads of the new incident (p50 3 ms).
 * The tick's own uncork then finds nothing to do.
 */
function writeNow(client: Client): void {
  const conn = (client as unknown as { conn?: Writable }).conn;
  while (conn && conn.writableCorked > 0) conn.uncork();
}
