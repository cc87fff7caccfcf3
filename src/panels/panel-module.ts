import { timingSafeEqual } from 'node:crypto';
import { EmbeddedPanelBroker } from '../../drivers/mqtt-panel/embedded-broker.js';
import type { PanelAck } from '../../drivers/mqtt-panel/protocol.js';
import type { Incident } from '../core/incident-types.js';
import { SharpeyesError } from '../errors.js';
import type { Module, Service } from '../service.js';
import { ackState, toNormalized, wireId } from './panel-mapping.js';

/** Publishes to panels, whichever transport carries them. */
export interface PanelGateway {
  publishAck(panelId: string, ack: PanelAck): Promise<void>;
  health(): Record<string, unknown>;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Logs a rejection at most once a minute per panel, so a broken panel cannot flood the log. */
export class RejectLogLimiter {
  private readonly last = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  shouldLog(panelId: string | undefined): boolean {
    const key = panelId ?? '(unknown)';
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < 60_000) return false;
    this.last.set(key, t);
    return true;
  }
}

export function panelModule(): Module {
  let broker: EmbeddedPanelBroker | undefined;
  const unsubscribe: (() => void)[] = [];
  return {
    name: 'panels',
    async start(svc: Service) {
      const { config, log, metrics, bus } = svc;
      const dir = svc.need('dir');
      const core = svc.need('core');
      const store = svc.need('store');
      const rejected = metrics.counter('sharpeyes_panel_rejected_total', 'Panel messages refused', [
        'reason',
      ]);
      const acksSent = metrics.counter('sharpeyes_panel_acks_total', 'Acks published to panels', ['state']);
      const limiter = new RejectLogLimiter();
      const lastSeen = new Map<string, number>();

      if (!config.mqtt.embedded) {
        throw new SharpeyesError('panels', 'mqtt.url (external broker) is not supported by this build yet');
      }
      broker = new EmbeddedPanelBroker({
        port: config.mqtt.embedded.port,
        host: config.mqtt.embedded.host,
        prefix: config.mqtt.topicPrefix,
        maxPayloadBytes: config.mqtt.maxPayloadBytes,
        maxClockSkewSeconds: config.mqtt.maxClockSkewSeconds,
        hooks: {
          authenticate: (panelId, secret) => {
            const panel = dir.panel(panelId);
            return panel !== undefined && sameSecret(panel.secret, secret);
          },
          onEvent: async (panelId, wire) => {
            const panel = dir.panel(panelId);
            if (!panel) throw new SharpeyesError('panels', `panel ${panelId} is not configured`);
            lastSeen.set(panelId, Date.now());
            const outcome = await core.ingest(toNormalized(panelId, panel.site, wire, new Date()));
            const ack: PanelAck = {
              id: wire.id,
              state: outcome.state ? ackState(outcome.state) : 'received',
            };
            if (outcome.incident) ack.incident = outcome.incident;
            // The ack goes out after the commit; the PUBACK follows when this promise resolves.
            void gateway
              .publishAck(panelId, ack)
              .catch((err: unknown) => log.warn({ err, panelId }, 'panels: ack publish failed'));
          },
          onStatus: (panelId, status) => {
            lastSeen.set(panelId, Date.now());
            log.info({ panelId, status }, 'panels: status');
          },
          onHeartbeat: (panelId) => {
            lastSeen.set(panelId, Date.now());
          },
          onReject: (panelId, reason, detail) => {
            rejected.inc({ reason });
            if (limiter.shouldLog(panelId)) log.warn({ panelId, reason, detail }, 'panels: message refused');
          },
        },
      });
      const { port } = await broker.start();
      svc.parts.set('mqttPort', port);
      log.info({ port }, 'panels: embedded MQTT broker listening');

      const gateway: PanelGateway = {
        publishAck: async (panelId, ack) => {
          await broker!.publish(broker!.topics.ack(panelId), ack, 1);
          acksSent.inc({ state: ack.state });
        },
        health: () => ({
          broker: 'embedded',
          port,
          connected: broker?.connectedPanels() ?? 0,
          panelsSeen: lastSeen.size,
        }),
      };
      svc.parts.set('panels', gateway);

      // As the incident moves, every panel whose event is on it hears the new state.
      const onChange = async (inc: Incident) => {
        const state = ackState(inc.state);
        for (const ev of inc.events) {
          const stored = await store.events.get(ev.key);
          if (!stored || stored.source !== 'panel') continue;
          const id = wireId(ev.key, stored.device);
          if (id) await gateway.publishAck(stored.device, { id, incident: inc.id, state });
        }
      };
      unsubscribe.push(
        bus.on('incident:update', (inc, change) => {
          if (change.kind !== 'transition') return;
          onChange(inc).catch((err: unknown) =>
            log.warn({ err, incident: inc.id }, 'panels: state ack failed'),
          );
        }),
      );
    },
    async stop() {
      for (const off of unsubscribe.splice(0)) off();
      await broker?.stop();
      broker = undefined;
    },
  };
}
