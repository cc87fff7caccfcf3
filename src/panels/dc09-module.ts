import type { Dc09Message, OutcomeInfo, Verdict } from '../../drivers/sia-dc09/pipeline.js';
import { Dc09Receiver } from '../../drivers/sia-dc09/receiver.js';
import { errorMessage, SharpeyesError } from '../errors.js';
import type { Module, Service } from '../service.js';
import { type Dc09Account, Dc09Accounts } from './dc09-accounts.js';
import { dc09Key, messageIds, toNormalizedDc09 } from './dc09-mapping.js';
import { RejectLogLimiter } from './panel-module.js';
import type { SupervisionMaintainer } from './supervision-maintainer.js';

/** What `/api/health` shows under `checks.dc09`, and what tools read the receiver's port from. */
export interface Dc09Part {
  port: number;
  health(): Record<string, unknown>;
}

/**
 * SIA DC-09 panels (issue 18): the receiver from `drivers/sia-dc09` on one TCP and UDP port, its
 * accounts mapped to configured panels. Every message resets the panel's supervision (the same
 * maintainer as MQTT panels, so a silent account raises the same communication-lost trouble); its
 * events go to `core.ingest`, and the ACK goes out only after that resolves.
 */
export function dc09Module(): Module {
  let receiver: Dc09Receiver<Dc09Account> | undefined;
  return {
    name: 'dc09',
    async start(svc: Service) {
      const { config, log, metrics } = svc;
      const accounts = new Dc09Accounts(svc.need('dir').allPanels());
      const cfg = config.dc09;
      if (!cfg) {
        if (accounts.size > 0)
          log.warn(
            { accounts: accounts.size },
            'dc09: panels have dc09 accounts but no dc09 receiver is configured',
          );
        return;
      }
      const core = svc.need('core');
      const store = svc.need('store');
      const supervision = svc.part<SupervisionMaintainer>('panels.supervision');
      const messages = metrics.counter('sharpeyes_dc09_messages_total', 'DC-09 messages by outcome', [
        'outcome',
        'reason',
      ]);
      const answerTime = metrics.histogram(
        'sharpeyes_dc09_ack_seconds',
        'DC-09 frame received → ACK written (commit included)',
      );
      const limiter = new RejectLogLimiter();
      const windowMs = cfg.duplicateWindowSeconds * 1000;

      const handle = async (msg: Dc09Message<Dc09Account>): Promise<Verdict> => {
        const { panelId } = msg.policy;
        supervision.seen(panelId);
        if (msg.events.length === 0) return 'ack'; // NULL: a supervision poll
        const receivedAt = new Date();
        const ids = messageIds(msg, receivedAt.getTime(), windowMs);
        // A repeat that straddles a window boundary keeps the id of the window it first came in.
        const earlier = await store.events.get(dc09Key(panelId, ids.previous, 0));
        const events = toNormalizedDc09(msg, earlier ? ids.previous : ids.current, receivedAt);
        const outcomes = await Promise.all(events.map((e) => core.ingest(e)));
        events.forEach((e, i) => {
          if (outcomes[i]?.duplicate || (e.type !== 'arm' && e.type !== 'disarm')) return;
          supervision.armed(
            panelId,
            e.type === 'disarm' ? 'disarmed' : e.detail?.['mode'] === 'home' ? 'home' : 'away',
          );
        });
        return 'ack';
      };

      const onOutcome = (info: OutcomeInfo) => {
        messages.inc({ outcome: info.outcome, reason: info.reason ?? 'ok' });
        if (info.outcome === 'ack') {
          if (info.ms !== undefined) answerTime.observe(info.ms / 1000);
          return;
        }
        // Per account once it is known to be one of ours; per sender address otherwise, so that a
        // scan over many account numbers cannot flood the log.
        const known = info.outcome !== 'unknown_account' && info.account !== undefined;
        if (!limiter.shouldLog(known ? info.account : info.remote.replace(/:\d+$/, ''))) return;
        const fields = {
          account: info.account,
          seq: info.seq,
          remote: info.remote,
          outcome: info.outcome,
          reason: info.reason,
          detail: info.detail,
        };
        if (info.outcome === 'failed')
          log.error(fields, 'dc09: message not stored; no ACK, the panel will repeat it');
        else log.warn(fields, 'dc09: message refused');
      };

      const r = new Dc09Receiver<Dc09Account>({
        host: cfg.host,
        port: cfg.port,
        maxPastMs: cfg.maxPastSeconds * 1000,
        maxFutureMs: cfg.maxFutureSeconds * 1000,
        lookup: (who) => accounts.lookup(who),
        handle,
        onOutcome,
        onError: (err, remote) =>
          log.error({ err: errorMessage(err), remote }, 'dc09: answering a frame failed'),
      });
      let port: number;
      try {
        ({ port } = await r.start());
      } catch (cause) {
        throw new SharpeyesError(
          'dc09',
          `cannot listen on ${cfg.host}:${cfg.port} (TCP and UDP): ${errorMessage(cause)}; free the port or set dc09.port (0 picks a free one)`,
          { host: cfg.host, port: cfg.port },
          { cause },
        );
      }
      receiver = r;
      const part: Dc09Part = {
        port,
        health: () => ({ host: cfg.host, port, accounts: accounts.size, connections: r.connections() }),
      };
      svc.parts.set('dc09', part);
      log.info({ host: cfg.host, port, accounts: accounts.size }, 'dc09: receiver listening on TCP and UDP');
    },
    async stop() {
      // Messages being committed are answered before the connections close.
      await receiver?.stop();
      receiver = undefined;
    },
  };
}
