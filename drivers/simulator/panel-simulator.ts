import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { PanelAck, PanelWireEventType } from '../mqtt-panel/protocol.js';
import { panelTopics } from '../mqtt-panel/topics.js';

export interface PanelSimulatorOptions {
  url: string;
  id: string;
  secret: string;
  prefix?: string;
  heartbeatSeconds?: number;
  battery?: number;
  /**
   * How the panel answers commands: `ok` (default) replies ok and reports the new arming state as an
   * event, `fail` replies ok:false, `ignore` never replies (the service times the command out).
   */
  commands?: 'ok' | 'fail' | 'ignore';
  /** MQTT persistent session (clean start off) under its client id. */
  persistent?: boolean;
  /** MQTT client id; the panel id by default (it must start with the panel id). */
  clientId?: string;
  /**
   * The arming state the panel reports on connecting, as a panel tells its state at power-up: an
   * `arm` (Contact ID R401 away, R441 stay) or `disarm` (E401) event. None when omitted.
   */
  armed?: 'away' | 'home' | 'disarmed';
}

/** How a panel reports its arming state: Contact ID closings (R401 away, R441 stay) and an opening. */
const ARMING_EVENTS = {
  away: { type: 'arm', cid: 'R401' },
  home: { type: 'arm', cid: 'R441' },
  disarmed: { type: 'disarm', cid: 'E401' },
} as const satisfies Record<string, { type: PanelWireEventType; cid: string }>;

/** What a panel reports after carrying out a command (Contact ID openings/closings and tests). */
const COMMAND_EVENTS: Record<string, { type: PanelWireEventType; cid: string } | undefined> = {
  arm_away: ARMING_EVENTS.away,
  arm_home: ARMING_EVENTS.home,
  disarm: ARMING_EVENTS.disarmed,
  test: { type: 'test', cid: 'E601' },
};

export interface SimulatorEvents {
  ack: [ack: PanelAck];
  command: [command: { command: string; requestId?: string }];
  /** A command that arrived after its `expiresAt` and was not carried out. */
  expired: [command: { command: string; requestId?: string; expiresAt?: string }];
}

/**
 * A panel speaking protocol v1 as a real one would: its will says `offline`, it announces `online`
 * retained, sends heartbeats, publishes events at QoS 1 and listens for acks and commands.
 */
export class PanelSimulator extends EventEmitter<SimulatorEvents> {
  private client: MqttClient | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly topics;
  private seq = 0;
  /** Every ack received, so a wait that starts after the ack arrived still finds it. */
  readonly acks: PanelAck[] = [];
  private readonly run = randomUUID().slice(0, 8);

  constructor(private readonly opts: PanelSimulatorOptions) {
    super();
    this.topics = panelTopics(opts.prefix);
  }

  get id(): string {
    return this.opts.id;
  }

  async connect(): Promise<void> {
    const { id, secret, url } = this.opts;
    const client = await mqtt.connectAsync(url, {
      // The client id must start with the panel id: the broker binds client ids to panels.
      clientId: this.opts.clientId ?? id,
      username: id,
      password: secret,
      clean: this.opts.persistent !== true,
      reconnectPeriod: 1000,
      will: { topic: this.topics.status(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      try {
        const body = JSON.parse(payload.toString('utf8')) as unknown;
        if (topic === this.topics.ack(id)) {
          this.acks.push(body as PanelAck);
          if (this.acks.length > 10_000) this.acks.shift();
          this.emit('ack', body as PanelAck);
        } else if (topic === this.topics.command(id)) {
          const cmd = body as { command: string; requestId?: string; expiresAt?: string };
          // Protocol v1: a command past its expiry (queued while this panel was offline) is not obeyed.
          if (cmd.expiresAt && Date.parse(cmd.expiresAt) < Date.now()) {
            this.emit('expired', cmd);
            return;
          }
          this.emit('command', cmd);
          void this.answer(cmd).catch(() => undefined);
        }
      } catch {
        // A simulator is a test tool: a malformed message from the service is surfaced by the tests' ack counts.
      }
    });
    await client.subscribeAsync([this.topics.ack(id), this.topics.command(id)], { qos: 1 });
    await client.publishAsync(this.topics.status(id), 'online', { qos: 1, retain: true });
    if (this.opts.heartbeatSeconds) {
      // Like a panel at boot: report battery and mains at once, then every interval.
      await this.sendHeartbeat();
      this.heartbeat = setInterval(
        () => void this.sendHeartbeat().catch(() => undefined),
        this.opts.heartbeatSeconds * 1000,
      );
      this.heartbeat.unref();
    }
    if (this.opts.armed) {
      const arming = ARMING_EVENTS[this.opts.armed];
      await this.send(arming.type, { cid: arming.cid });
    }
  }

  async sendHeartbeat(): Promise<void> {
    await this.mustClient().publishAsync(
      this.topics.heartbeat(this.opts.id),
      JSON.stringify({ ts: new Date().toISOString(), battery: this.opts.battery ?? 100, mains: true }),
      { qos: 0 },
    );
  }

  private async answer(cmd: { command: string; requestId?: string }): Promise<void> {
    const mode = this.opts.commands ?? 'ok';
    if (mode === 'ignore' || !cmd.requestId) return;
    const client = this.mustClient();
    const reply =
      mode === 'ok'
        ? { requestId: cmd.requestId, ok: true }
        : { requestId: cmd.requestId, ok: false, error: `panel refused ${cmd.command}` };
    await client.publishAsync(this.topics.reply(this.opts.id), JSON.stringify(reply), { qos: 1 });
    const follow = mode === 'ok' ? COMMAND_EVENTS[cmd.command] : undefined;
    if (follow) await this.send(follow.type, { cid: follow.cid });
  }

  /** Publishes an event at QoS 1 and resolves on its PUBACK; returns the event id. */
  async send(
    type: PanelWireEventType,
    extra: { zone?: string; cid?: string; id?: string; ts?: string } = {},
  ): Promise<string> {
    const id = extra.id ?? `${this.run}-${++this.seq}`;
    const payload = {
      id,
      type,
      ts: extra.ts ?? new Date().toISOString(),
      ...(extra.zone ? { zone: extra.zone } : {}),
      ...(extra.cid ? { cid: extra.cid } : {}),
    };
    await this.mustClient().publishAsync(this.topics.event(this.opts.id), JSON.stringify(payload), {
      qos: 1,
    });
    return id;
  }

  /** Resolves with the first ack for event `id` matching `state` (any state when omitted). */
  waitForAck(id: string, state?: PanelAck['state'], timeoutMs = 10_000): Promise<PanelAck> {
    const already = this.acks.find((a) => a.id === id && (!state || a.state === state));
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ack', onAck);
        reject(new Error(`simulator: no ${state ?? ''} ack for ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAck = (ack: PanelAck) => {
        if (ack.id !== id || (state && ack.state !== state)) return;
        clearTimeout(timer);
        this.off('ack', onAck);
        resolve(ack);
      };
      this.on('ack', onAck);
    });
  }

  /** Closes the connection cleanly (no will) unless `abrupt`, which lets the broker send the will. */
  async close(abrupt = false): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (abrupt) {
      client.stream.destroy();
      await client.endAsync(true);
    } else {
      await client
        .publishAsync(this.topics.status(this.opts.id), 'offline', { qos: 1, retain: true })
        .catch(() => undefined);
      await client.endAsync();
    }
  }

  /**
   * Ends the connection with a clean DISCONNECT and says nothing about being offline: for a demo whose
   * simulated panels stop because the service stops, not because the panels went dark.
   */
  async detach(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.endAsync();
  }

  private mustClient(): MqttClient {
    if (!this.client) throw new Error(`simulator: panel ${this.opts.id} is not connected`);
    return this.client;
  }
}
