import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PanelBrokerHooks } from '../../drivers/mqtt-panel/embedded-broker.js';
import { EmbeddedPanelBroker } from '../../drivers/mqtt-panel/embedded-broker.js';
import { ExternalPanelClient } from '../../drivers/mqtt-panel/external-client.js';
import type { PanelTopics } from '../../drivers/mqtt-panel/topics.js';
import type { Config } from '../config/schema.js';
import { embeddedDefaults } from '../config/sections/mqtt.js';
import { SharpeyesError } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';

/** Whichever carries panel protocol v1: the embedded Aedes broker or a client of an external broker. */
export interface PanelTransport {
  readonly kind: 'embedded' | 'external';
  readonly topics: PanelTopics;
  /** The embedded broker's TCP port; undefined for an external broker. */
  readonly port: number | undefined;
  /** The embedded broker's TLS port, when TLS is configured. */
  readonly tlsPort?: number;
  /** `ttlSeconds`: MQTT 5 message expiry on an external broker (the payload carries it for all). */
  publish(topic: string, payload: unknown, qos?: 0 | 1, ttlSeconds?: number): Promise<void>;
  connected(): number;
  stop(): Promise<void>;
}

export async function startTransport(
  mqttConfig: Config['mqtt'],
  hooks: PanelBrokerHooks,
  deps: { knownPanel(id: string): boolean; log: Logger; dataDir: string },
): Promise<PanelTransport> {
  if (mqttConfig.url) {
    const client = new ExternalPanelClient({
      url: mqttConfig.url,
      username: mqttConfig.username,
      password: mqttConfig.password,
      clientId: mqttConfig.clientId,
      prefix: mqttConfig.topicPrefix,
      maxPayloadBytes: mqttConfig.maxPayloadBytes,
      maxClockSkewSeconds: mqttConfig.maxClockSkewSeconds,
      knownPanel: deps.knownPanel,
      hooks,
      onError: (err) => deps.log.warn({ err: err.message }, 'panels: external broker connection error'),
    });
    try {
      await client.start();
    } catch (cause) {
      throw new SharpeyesError(
        'panels',
        `cannot use the external broker ${redactUrl(mqttConfig.url)}`,
        { url: redactUrl(mqttConfig.url) },
        { cause },
      );
    }
    deps.log.info({ url: redactUrl(mqttConfig.url) }, 'panels: connected to the external MQTT broker');
    return {
      kind: 'external',
      topics: client.topics,
      port: undefined,
      publish: (topic, payload, qos, ttl) => client.publish(topic, payload, qos, ttl),
      connected: () => client.connected(),
      stop: () => client.stop(),
    };
  }
  const embedded = mqttConfig.embedded ?? embeddedDefaults();
  const tls = embedded.tls;
  const broker = new EmbeddedPanelBroker({
    port: embedded.plain ? embedded.port : null,
    host: embedded.host,
    ...(tls
      ? {
          tls: {
            port: tls.port,
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
          },
        }
      : {}),
    // Issue 13: panels' sessions on disk, so acks queued for a reconnecting panel survive a crash.
    sessionsDir: join(deps.dataDir, 'mqtt-sessions'),
    maxFailedLoginsPerMinute: embedded.maxFailedLoginsPerMinute,
    prefix: mqttConfig.topicPrefix,
    maxPayloadBytes: mqttConfig.maxPayloadBytes,
    maxClockSkewSeconds: mqttConfig.maxClockSkewSeconds,
    hooks: { ...hooks, knownPanel: deps.knownPanel },
  });
  const { port, tlsPort, rehearsal } = await broker.start();
  if (rehearsal && 'error' in rehearsal)
    deps.log.warn(
      { err: rehearsal.error, ms: Math.round(rehearsal.ms) },
      'panels: the broker rehearsal failed; listening anyway',
    );
  else if (rehearsal)
    deps.log.info(
      { rounds: rehearsal.rounds, ms: Math.round(rehearsal.ms) },
      'panels: broker rehearsed a panel round trip',
    );
  deps.log.info({ port, tlsPort }, 'panels: embedded MQTT broker listening');
  return {
    kind: 'embedded',
    topics: broker.topics,
    port: embedded.plain ? port : tlsPort,
    ...(tlsPort !== undefined ? { tlsPort } : {}),
    publish: (topic, payload, qos) => broker.publish(topic, payload, qos),
    connected: () => broker.connectedPanels(),
    stop: () => broker.stop(),
  };
}
