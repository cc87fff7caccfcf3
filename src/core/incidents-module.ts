import { auditRoutes } from '../api/audit-routes.js';
import { siteRoutes } from '../api/sites-routes.js';
import { auditConfigChange } from '../audit/incident-audit.js';
import { withPeople } from '../auth/people-names.js';
import type { Cluster } from '../cluster/cluster.js';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import { webhookSink } from '../outbox/webhook-sink.js';
import { jurisdictionRoom } from '../realtime/ops-namespace.js';
import type { Module, Service } from '../service.js';
import { webhookRoutes } from '../webhooks/webhook-routes.js';
import { WebhookSender } from '../webhooks/webhook-sender.js';
import { EscalationMaintainer } from './escalation-maintainer.js';
import { incidentViewer } from './incident-extend.js';
import { UnitRegistry } from './units.js';

/**
 * Issue 4 around the event core: units, escalation of what nobody answers, the configuration-change
 * audit, signed webhooks, `incident:escalated` to the target node's room, and the REST routes for
 * sites, the tree, units, reports and the audit log. Starts after realtime (needs /ops). The
 * incident-change audit sink is attached by the core module, so recovered incidents are audited too.
 */
export function incidentsModule(): Module {
  const undo: (() => void | Promise<void>)[] = [];
  return {
    name: 'incidents',
    async start(svc: Service) {
      const core = svc.need('core');
      const dir = svc.need('dir');
      const audit = svc.need('audit');
      const ops = svc.need('ops');

      svc.parts.set('units', new UnitRegistry(svc.config.units, dir.tree, core.repo));

      if (await auditConfigChange(audit, svc.config, svc.configFile))
        svc.log.info('core: configuration changed since the last start (audited)');

      // The escalation push and the webhooks show the incident as REST does, with the asynchronous
      // annotations too (issue 17: plan, owner, confirmation...); pushes leave in the order they came.
      const extend = incidentViewer(svc.parts);
      let escalations: Promise<void> = Promise.resolve();
      undo.push(
        svc.bus.on('incident:escalated', (inc, esc) => {
          escalations = escalations.then(async () => {
            let out = inc;
            try {
              out = await extend(inc);
            } catch (err) {
              // The desks must still hear of it; only its annotations are missing.
              svc.log.error({ err, incident: inc.id }, 'core: escalation push sent without annotations');
            }
            // A jurisdiction room holds staff only: they read who acted by name.
            const named = withPeople(svc.need('auth').people, out);
            ops.local.to(jurisdictionRoom(esc.jurisdiction)).emit('incident:escalated', named, esc);
          });
        }),
      );

      const webhooks = new WebhookSender(svc.config.webhooks, {
        k: svc.need('store').k,
        bus: svc.bus,
        log: svc.log,
        metrics: svc.metrics,
        extend,
        // Issue 16: one node of a city delivers (the holder of the webhook sink's lease).
        mayRun: () => svc.part<Cluster>('cluster').holds('outbox:webhooks'),
      });
      await webhooks.start();
      if (svc.config.webhooks.length > 0) {
        await svc
          .part<OutboxDispatcher>('outbox.dispatcher')
          .add(webhookSink({ views: svc.need('store').incidents, queue: webhooks }));
      }
      svc.parts.set('webhooks', webhooks);
      undo.push(() => webhooks.stop());

      const escalation = new EscalationMaintainer({
        repo: core.repo,
        core,
        bus: svc.bus,
        tree: dir.tree,
        config: svc.config.escalation,
        log: svc.log,
        metrics: svc.metrics,
      });
      // Issue 16: checked by one node of a city at a time (its steps are idempotent anyway).
      svc.part<Cluster>('cluster').run('timer:escalation', {
        start: () => escalation.start(),
        stop: () => escalation.stop(),
      });
      svc.parts.set('escalation', escalation);
      undo.push(() => escalation.stop());

      const app = svc.need('app');
      app.use(siteRoutes(svc));
      app.use(auditRoutes(svc));
      app.use(webhookRoutes(svc, webhooks));
    },
    async stop() {
      for (const fn of undo.splice(0).reverse()) await fn();
    },
  };
}
