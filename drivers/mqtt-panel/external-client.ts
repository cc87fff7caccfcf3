import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { PanelBrokerHooks } from './embedded-broker.js';
import { heartbeatSchema, PanelProtocolError, type PanelWireEvent, parsePanelEvent } from './protocol.js';
import { type PanelTopicKind, type PanelTopics, panelTopics } from './topics.js';

export interface ExternalClientOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Fixed base client id: the broker keeps each connection's session (and its queue) under it. */
  clientId: string;
  prefix?: string;
  /** Shared-subscription group; every service node in it splits the panels' messages. */
  group?: string;
  /**
   * Connections this node opens into the group. mqtt.js handles one incoming packet at a time per
   * connection (the PUBACK waits for the commit), so parallel connections let commits batch.
   */
  connections?: number;
  maxPayloadBytes?: number;
  maxClockSkewSeconds?: number;
  /** Start-up fails when the broker does not accept us within this long. */
  connectTimeoutMs?: number;
  /** Session expiry (MQTT 5) in seconds: how long the broker queues for us while we are down. */
  sessionExpirySeconds?: number;
  /** Whether a panel id is configured; the broker authenticated the sender, not us. */
  knownPanel(panelId: string): boolean;
  hooks: Omit<PanelBrokerHooks, 'authenticate'>;
  /** Connection-level errors (broker gone, refused); mqtt.js keeps reconnecting meanwhile. */
  onError?(err: Error): void;
  now?: () => number;
}

const KINDS: PanelTopicKind[] = ['event', 'status', 'heartbeat', 'reply'];

/**
 * The service as a client of an external broker (Mosquitto, EMQX). Persistent sessions (clean start
 * off, fixed client ids) and a shared subscription `$share/{group}/{prefix}/panels/+/{kind}`.
 * Commit before acknowledge: mqtt.js sends the PUBACK of a QoS 1 message only when `handleMessage`
 * calls back, and we call back after the event is committed. A failed commit drops the connection
 * without a PUBACK, so the broker redelivers from the session.
 */
export class ExternalPanelClient {
  readonly topics: PanelTopics;
  private clients: MqttClient[] = [];
  private next = 0;

  constructor(private readonly opts: ExternalClientOptions) {
    this.topics = panelTopics(opts.prefix);
  }

  async start(): Promise<void> {
    const n = Math.max(1, this.opts.connections ?? 4);
    const group = this.opts.group ?? 'sharpeyes';
    for (let i = 0; i < n; i++) {
      const client = mqtt.connect(this.opts.url, {
        clientId: `${this.opts.clientId}-${i}`,
        clean: false,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: this.opts.sessionExpirySeconds ?? 7 * 86_400 },
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
        ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      });
      client.handleMessage = (packet, callback) => {
        if (packet.cmd !== 'publish') return callback();
        this.onMessage(packet).then(
          () => callback(),
          (err: unknown) => {
            callback(err instanceof Error ? err : new Error(String(err)));
            // No PUBACK: drop the connection so the broker redelivers from the persistent session.
            client.stream.destroy();
          },
        );
      };
      client.on('error', (err) => this.opts.onError?.(err));
      this.clients.push(client);
      try {
        await this.ready(client, group);
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
  }

  private async ready(client: MqttClient, group: string): Promise<void> {
    const timeoutMs = this.opts.connectTimeoutMs ?? 15_000;
    await new Promise<void>((resolve, reject) => {
      // mqtt.js reconnects forever; at start-up a refusal or an unreachable broker must fail loudly.
      const timer = setTimeout(
        () => reject(new Error(`mqtt-panel: no CONNACK from the broker within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onErr = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      client.once('connect', () => {
        clearTimeout(timer);
        client.off('error', onErr);
        resolve();
      });
      client.once('error', onErr);
    });
    const filters = KINDS.map((k) => `$share/${group}/${this.topics.wildcard(k)}`);
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length > 0) {
      throw new Error(
        `mqtt-panel: broker refused subscriptions ${refused.map((g) => g.topic).join(', ')}: check its ACL`,
      );
    }
  }

  /** Publishes from the service (acks, commands), spreading over the connections. */
  async publish(topic: string, payload: unknown, qos: 0 | 1 = 1, ttlSeconds?: number): Promise<void> {
    const client = this.clients[this.next++ % Math.max(1, this.clients.length)];
    if (!client) throw new Error('mqtt-panel: external client not started');
    await client.publishAsync(topic, JSON.stringify(payload), {
      qos,
      // MQTT 5 message expiry: the broker drops a command still queued for an offline panel.
      ...(ttlSeconds ? { properties: { messageExpiryInterval: ttlSeconds } } : {}),
    });
  }

  connected(): number {
    return this.clients.filter((c) => c.connected).length;
  }

  async stop(): Promise<void> {
    const clients = this.clients;
    this.clients = [];
    await Promise.all(clients.map((c) => c.endAsync(!c.connected)));
  }

  private async onMessage(packet: IPublishPacket): Promise<void> {
    const { hooks } = this.opts;
    const parsed = this.topics.parse(packet.topic);
    if (!parsed) return;
    const { panelId, kind } = parsed;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (!this.opts.knownPanel(panelId)) {
      // Acknowledged and dropped: refusing would make the broker redeliver it forever.
      hooks.onReject(panelId, 'unknown_panel', `message on ${packet.topic} from an unconfigured panel`);
      return;
    }
    if (kind === 'event') {
      let event: PanelWireEvent;
      try {
        event = parsePanelEvent(payload, {
          maxBytes: this.opts.maxPayloadBytes ?? 8192,
          maxSkewMs: (this.opts.maxClockSkewSeconds ?? 86_400) * 1000,
          now: (this.opts.now ?? Date.now)(),
        });
      } catch (err) {
        if (!(err instanceof PanelProtocolError)) throw err;
        hooks.onReject(panelId, err.reason, err.message);
        return;
      }
      await hooks.onEvent(panelId, event);
      return;
    }
    const text = payload.toString('utf8');
    if (kind === 'status') {
      if (text === 'online' || text === 'offline') hooks.onStatus(panelId, text);
      else hooks.onReject(panelId, 'bad_payload', 'status must be "online" or "offline"');
    } else if (kind === 'heartbeat') {
      const hb = heartbeatSchema.safeParse(safeJson(text));
      if (hb.success) hooks.onHeartbeat(panelId, hb.data);
      else hooks.onReject(panelId, 'bad_payload', 'heartbeat is not a valid heartbeat object');
    } else if (kind === 'reply') {
      const body = safeJson(text);
      if (body === undefined) hooks.onReject(panelId, 'bad_json', 'reply is not valid JSON');
      else hooks.onReply?.(panelId, body);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return text.length > 0 ? (JSON.parse(text) as unknown) : {};
  } catch {
    return undefined;
  }
}
