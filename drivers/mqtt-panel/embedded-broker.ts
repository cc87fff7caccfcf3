import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
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
}

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  prefix?: string;
  maxPayloadBytes?: number;
  maxClockSkewSeconds?: number;
  hooks: PanelBrokerHooks;
  now?: () => number;
}

/**
 * Aedes on TCP with panel protocol v1 enforced at the broker: every panel authenticates as itself,
 * publishes only under its own topics and subscribes only to its own ack and command topics.
 * Events are committed inside `authorizePublish`, which Aedes completes before it writes the PUBACK.
 */
export class EmbeddedPanelBroker {
  readonly topics: PanelTopics;
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly panelOf = new WeakMap<Client, string>();
  private readonly dropped = new WeakSet<PublishPacket>();

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    this.topics = panelTopics(opts.prefix);
  }

  async start(): Promise<{ port: number }> {
    const { hooks } = this.opts;
    const now = this.opts.now ?? Date.now;
    const maxBytes = this.opts.maxPayloadBytes ?? 8192;
    const maxSkewMs = (this.opts.maxClockSkewSeconds ?? 86_400) * 1000;

    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const secret = password ? Buffer.from(password).toString('utf8') : '';
        if (!username || !hooks.authenticate(username, secret)) {
          hooks.onReject(username, 'bad_credentials', `client ${client.id} failed authentication`);
          const err = Object.assign(new Error('bad credentials'), { returnCode: 4 });
          return done(err as Error & { returnCode: number }, false);
        }
        this.panelOf.set(client, username);
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
        hooks.onEvent(panelId, event).then(
          () => done(null),
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
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      aedes.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '0.0.0.0', () => resolve());
    });
    return { port: (server.address() as AddressInfo).port };
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
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
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
