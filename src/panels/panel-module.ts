import { timingSafeEqual } from 'node:crypto';
import type { PanelAck } from '../../drivers/mqtt-panel/protocol.js';
import type { Incident } from '../core/incident-types.js';
import { SharpeyesError } from '../errors.js';
import type { Module, Service } from '../service.js';
import { PanelCommands } from './panel-commands.js';
import { ackState, toNormalized, wireId } from './panel-mapping.js';
import { panelRoutes } from './panel-routes.js';
import { PanelStore } from './panel-store.js';
import { type PanelTransport, startTransport } from './panel-transport.js';
import { SupervisionMaintainer } from './supervision-maintainer.js';

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
  let transport: PanelTransport | undefined;
  let supervision: SupervisionMaintainer | undefined;
  let commands: PanelCommands | undefined;
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
      const supervised = metrics.counter(
        'sharpeyes_panel_supervision_total',
        'Communication-lost troubles and their restores raised by panel supervision',
        ['type'],
      );
      const limiter = new RejectLogLimiter();
      const onReject = (panelId: string | undefined, reason: string, detail: string) => {
        rejected.inc({ reason });
        if (limiter.shouldLog(panelId)) log.warn({ panelId, reason, detail }, 'panels: message refused');
      };
      const panelStore = new PanelStore(store.db);
      const sup = new SupervisionMaintainer({
        panels: dir.allPanels(),
        store: panelStore,
        ingest: (ev) => core.ingest(ev),
        log,
        onRaised: (type) => supervised.inc({ type }),
      });
      supervision = sup;
      // Before the transport: retained statuses and queued messages arrive as soon as it is up.
      sup.start();

      const publishAck = async (panelId: string, ack: PanelAck) => {
        if (!transport) throw new SharpeyesError('panels', 'transport is not started');
        await transport.publish(transport.topics.ack(panelId), ack, 1);
        acksSent.inc({ state: ack.state });
      };

      transport = await startTransport(
        config.mqtt,
        {
          authenticate: (panelId, secret) => {
            const panel = dir.panel(panelId);
            return panel !== undefined && sameSecret(panel.secret, secret);
          },
          onEvent: async (panelId, wire) => {
            const panel = dir.panel(panelId);
            if (!panel) throw new SharpeyesError('panels', `panel ${panelId} is not configured`);
            sup.seen(panelId);
            const event = toNormalized(panelId, panel.site, wire, new Date());
            const outcome = await core.ingest(event);
            if (!outcome.duplicate && (event.type === 'arm' || event.type === 'disarm')) {
              sup.armed(
                panelId,
                event.type === 'disarm' ? 'disarmed' : event.detail?.['mode'] === 'home' ? 'home' : 'away',
              );
            }
            const ack: PanelAck = {
              id: wire.id,
              state: outcome.state ? ackState(outcome.state) : 'received',
            };
            if (outcome.incident) ack.incident = outcome.incident;
            // The ack goes out after the commit; the PUBACK follows when this promise resolves.
            void publishAck(panelId, ack).catch((err: unknown) =>
              log.warn({ err, panelId }, 'panels: ack publish failed'),
            );
          },
          onStatus: (panelId, status) => {
            log.info({ panelId, status }, 'panels: status');
            if (status === 'online') sup.seen(panelId);
            else sup.offline(panelId);
          },
          onHeartbeat: (panelId, hb) => sup.heartbeat(panelId, hb),
          onReply: (panelId, payload) => {
            sup.seen(panelId);
            commands?.reply(panelId, payload);
          },
          onReject,
        },
        { knownPanel: (id) => dir.panel(id) !== undefined, log },
      );
      if (transport.port !== undefined) svc.parts.set('mqttPort', transport.port);

      const cmds = new PanelCommands({
        store: panelStore,
        publish: async (panelId, message) => {
          if (!transport) throw new SharpeyesError('panels', 'transport is not started');
          await transport.publish(transport.topics.command(panelId), message, 1);
        },
        log,
        onReject,
      });
      cmds.start();
      commands = cmds;

      const gateway: PanelGateway = {
        publishAck,
        health: () => ({
          broker: transport?.kind,
          port: transport?.port,
          connected: transport?.connected() ?? 0,
          panels: dir.allPanels().length,
          online: dir.allPanels().filter((p) => sup.state(p.id)?.online).length,
        }),
      };
      svc.parts.set('panels', gateway);
      svc.parts.set('panels.supervision', sup);
      svc.parts.set('panels.commands', cmds);
      svc.need('app').use(panelRoutes(svc, { supervision: sup, commands: cmds }));

      // As the incident moves, every panel whose event is on it hears the new state.
      const onChange = async (inc: Incident) => {
        const state = ackState(inc.state);
        for (const ev of inc.events) {
          const stored = await store.events.get(ev.key);
          if (stored?.source !== 'panel') continue;
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
      commands?.stop();
      // The transport first: no new events arrive while supervision settles and saves its state.
      await transport?.stop();
      transport = undefined;
      await supervision?.stop();
      supervision = undefined;
    },
  };
}
