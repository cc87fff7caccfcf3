import { timingSafeEqual } from 'node:crypto';
import type { PanelAck } from '../../drivers/mqtt-panel/protocol.js';
import type { Cluster } from '../cluster/cluster.js';
import { REHEARSAL_EVENTS } from '../core/incident-extend.js';
import { SharpeyesError } from '../errors.js';
import { togetherHealth } from '../health/lost-together.js';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import type { Module, Service } from '../service.js';
import { AckLedger, panelAckSink } from './panel-ack-sink.js';
import { PanelCommands } from './panel-commands.js';
import { ackState, toNormalized } from './panel-mapping.js';
import { rehearsalEvents, rehearsalPanel, rehearseAs } from './panel-rehearsal.js';
import { panelRoutes } from './panel-routes.js';
import { PanelStore } from './panel-store.js';
import { type PanelTransport, startTransport } from './panel-transport.js';
import { lostTogetherLevel, SupervisionMaintainer } from './supervision-maintainer.js';

/**
 * Rounds of the start-up rehearsal: a round is three rolled-back decisions (about 3 ms each). Eight
 * took the first panics after a start from 10–25 ms to within the later ones' spread.
 */
const REHEARSAL_ROUNDS = 8;

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

/**
 * Logs a rejection at most once a minute per panel, so a broken panel cannot flood the log. Bounded:
 * an attacker sending a new username each time cannot grow it past `max` keys (the oldest go first).
 */
export class RejectLogLimiter {
  private readonly last = new Map<string, number>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 4096,
  ) {}
  shouldLog(panelId: string | undefined): boolean {
    const key = panelId ?? '(unknown)';
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < 60_000) return false;
    this.last.delete(key);
    this.last.set(key, t); // re-inserted: Map order is oldest first
    while (this.last.size > this.max) this.last.delete(this.last.keys().next().value as string);
    return true;
  }
  get size(): number {
    return this.last.size;
  }
}

export function panelModule(): Module {
  let transport: PanelTransport | undefined;
  let supervision: SupervisionMaintainer | undefined;
  let commands: PanelCommands | undefined;
  return {
    name: 'panels',
    async start(svc: Service) {
      const { config, log, metrics } = svc;
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
      const ledger = new AckLedger();
      const kept = metrics.counter(
        'sharpeyes_panel_kept_total',
        'Panel events kept although malformed (they name an alarm) or with the device clock far off',
        ['why'],
      );
      const onReject = (panelId: string | undefined, reason: string, detail: string) => {
        rejected.inc({ reason });
        if (limiter.shouldLog(panelId)) log.warn({ panelId, reason, detail }, 'panels: message refused');
      };
      const panelStore = new PanelStore(store.k);
      const sup = new SupervisionMaintainer({
        panels: dir.allPanels(),
        store: panelStore,
        ingest: (ev) => core.ingest(ev),
        log,
        onRaised: (type) => supervised.inc({ type }),
        // Issue 16: one node of a city sweeps for silent panels (on SQLite there is one node).
        ...(svc.config.storage.database.kind === 'postgres'
          ? { sweeps: () => svc.part<Cluster>('cluster').holds('timer:supervision') }
          : {}),
      });
      if (svc.config.storage.database.kind === 'postgres')
        svc
          .part<Cluster>('cluster')
          .run('timer:supervision', { start: () => undefined, stop: () => undefined });
      supervision = sup;
      // Before the transport: retained statuses and queued messages arrive as soon as it is up.
      await sup.start();

      // One ack at a time per panel: concurrent QoS 1 deliveries to one client through the on-disk
      // session store lose messages (seen under load: 14 of 1,980 never arrived); in order, none do.
      const ackChains = new Map<string, Promise<void>>();
      const publishAck = (panelId: string, ack: PanelAck): Promise<void> => {
        const prev = ackChains.get(panelId) ?? Promise.resolve();
        const next = prev
          .catch(() => undefined)
          .then(async () => {
            if (!transport) throw new SharpeyesError('panels', 'transport is not started');
            await transport.publish(transport.topics.ack(panelId), ack, 1);
            acksSent.inc({ state: ack.state });
          });
        ackChains.set(panelId, next);
        const forget = () => {
          if (ackChains.get(panelId) === next) ackChains.delete(panelId);
        };
        // Its caller handles the failure (the ledger, the outbox sink): this only tidies up.
        next.then(forget, forget);
        return next;
      };

      // Issue 13: the first alarm after a start is decided as fast as the rest. The core rehearses a
      // panel's alarms (rolled back) before any panel can connect: after a restart, the panics that
      // panels redeliver at once are the ones that matter most.
      const firstPanel = rehearsalPanel(dir);
      const rehearsal = firstPanel ? rehearsalEvents(firstPanel, config.mqtt, new Date()) : [];
      svc.parts.set(REHEARSAL_EVENTS, rehearsal);
      const t0 = performance.now();
      await core.rehearse(rehearsal, REHEARSAL_ROUNDS).then(
        () =>
          log.info(
            { decisions: rehearsal.length * REHEARSAL_ROUNDS, ms: Math.round(performance.now() - t0) },
            'panels: alarm path rehearsed',
          ),
        (err: unknown) => log.warn({ err }, 'panels: the alarm path rehearsal failed; starting anyway'),
      );
      transport = await startTransport(
        config.mqtt,
        {
          authenticate: (panelId, secret) => {
            const panel = dir.panel(panelId);
            // A panel configured for DC-09 only has no secret and cannot log in over MQTT.
            return panel?.secret !== undefined && sameSecret(panel.secret, secret);
          },
          onEvent: async (panelId, wire) => {
            const panel = dir.panel(panelId);
            if (!panel) throw new SharpeyesError('panels', `panel ${panelId} is not configured`);
            sup.seen(panelId);
            if (wire.problems) {
              kept.inc({ why: 'malformed' });
              if (limiter.shouldLog(`${panelId}:kept`))
                log.warn(
                  { panelId, type: wire.type, problems: wire.problems },
                  'panels: malformed alarm kept',
                );
            }
            if (wire.clockSkewSeconds !== undefined) {
              kept.inc({ why: 'clock_skew' });
              if (limiter.shouldLog(`${panelId}:skew`))
                log.warn(
                  { panelId, clockSkewSeconds: wire.clockSkewSeconds },
                  'panels: panel clock is off; its events are dated by the receive time',
                );
            }
            const event = toNormalized(panelId, panel.site, wire, new Date());
            // On the embedded broker a panel's socket is not read while its events wait, so a runaway
            // panel can be held to its rate without holding anyone else (an external broker's shared
            // connection carries every panel: nothing is held there).
            const outcome = await core.ingest(event, { limited: config.mqtt.embedded !== undefined });
            if (!outcome.duplicate && (event.type === 'arm' || event.type === 'disarm')) {
              sup.armed(
                panelId,
                event.type === 'disarm' ? 'disarmed' : event.detail?.['mode'] === 'home' ? 'home' : 'away',
              );
            }
            // The `received` ack goes out at once (it must not queue behind a busy minute's commits);
            // the outbox's panel-ack sink sends it only if this did not (a crash, a failed publish).
            const ack: PanelAck = {
              id: wire.id,
              state: outcome.state ? ackState(outcome.state) : 'received',
            };
            if (outcome.incident) ack.incident = outcome.incident;
            ledger.track(event.key, publishAck(panelId, ack));
          },
          onStatus: (panelId, status) => {
            log.info({ panelId, status }, 'panels: status');
            if (status === 'online') sup.seen(panelId);
            else sup.offline(panelId);
          },
          onHeartbeat: (panelId, hb) => sup.heartbeat(panelId, hb),
          onReply: (panelId, payload) => {
            sup.seen(panelId);
            commands
              ?.reply(panelId, payload)
              .catch((err: unknown) =>
                log.error({ err, panelId }, 'panels: could not record a command reply'),
              );
          },
          onReject,
          // The embedded broker then rehearses a panel's round trip through itself before it listens.
          ...(firstPanel ? { rehearse: rehearseAs(firstPanel, core) } : {}),
        },
        { knownPanel: (id) => dir.panel(id) !== undefined, log, dataDir: config.storage.dataDir },
      );
      if (transport.port !== undefined) svc.parts.set('mqttPort', transport.port);
      if (transport.tlsPort !== undefined) svc.parts.set('mqttTlsPort', transport.tlsPort);

      const cmds = new PanelCommands({
        store: panelStore,
        publish: async (panelId, message, ttlSeconds) => {
          if (!transport) throw new SharpeyesError('panels', 'transport is not started');
          await transport.publish(transport.topics.command(panelId), message, 1, ttlSeconds);
        },
        log,
        onReject,
      });
      await cmds.start();
      commands = cmds;
      // Issue 16: commands whose node died still time out, swept by one node of the city.
      let expiry: NodeJS.Timeout | undefined;
      svc.part<Cluster>('cluster').run('timer:command-expiry', {
        start: () => {
          expiry = setInterval(() => {
            cmds
              .expireDue()
              .catch((err: unknown) => log.error({ err }, 'panels: command expiry sweep failed'));
          }, 5_000);
          expiry.unref();
        },
        stop: () => clearInterval(expiry),
      });

      // Panels lost together are the city's one trouble: told by the node that sweeps for silence,
      // with where most of them are when that narrows it down (a district's carrier).
      const together = svc.config.storage.panelsLostTogether;
      const placesBetween = (from: number, to: number) =>
        sup.lostBetween(from, to).map((p) => dir.site(dir.panel(p)?.site ?? '')?.jurisdiction);
      const gateway: PanelGateway = {
        publishAck,
        health: () => {
          const c = sup.counts(together.minutes * 60_000);
          return {
            broker: transport?.kind,
            port: transport?.port,
            connected: transport?.connected() ?? 0,
            panels: c.panels,
            online: c.online,
            lost: c.lost,
            ...(sup.sweeping()
              ? togetherHealth(c, lostTogetherLevel(c, together), { placesBetween, tree: dir.tree })
              : {}),
          };
        },
      };
      svc.parts.set('panels', gateway);
      svc.parts.set('panels.supervision', sup);
      svc.parts.set('panels.commands', cmds);
      svc.need('app').use(panelRoutes(svc, { supervision: sup, commands: cmds }));

      // Acks (received, then each state of the incident) come from the outbox (issue 13).
      await svc
        .part<OutboxDispatcher>('outbox.dispatcher')
        .add(panelAckSink({ k: store.k, ledger, publishAck }));
    },
    async stop() {
      commands?.stop();
      // The transport first: no new events arrive while supervision settles and saves its state.
      await transport?.stop();
      transport = undefined;
      await supervision?.stop();
      supervision = undefined;
    },
  };
}
