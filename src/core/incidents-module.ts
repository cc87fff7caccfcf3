import { auditRoutes } from '../api/audit-routes.js';
import { reportRoutes } from '../api/reports-routes.js';
import { siteRoutes } from '../api/sites-routes.js';
import { auditConfigChange } from '../audit/incident-audit.js';
import { jurisdictionRoom } from '../realtime/ops-namespace.js';
import type { Module, Service } from '../service.js';
import { webhookRoutes } from '../webhooks/webhook-routes.js';
import { WebhookSender } from '../webhooks/webhook-sender.js';
import { EscalationMaintainer } from './escalation-maintainer.js';
import { incidentExtender } from './incident-extend.js';
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

      if (auditConfigChange(audit, svc.config, svc.configFile))
        svc.log.info('core: configuration changed since the last start (audited)');

      const extend = incidentExtender(svc.parts);
      undo.push(
        svc.bus.on('incident:escalated', (inc, esc) => {
          ops.to(jurisdictionRoom(esc.jurisdiction)).emit('incident:escalated', extend(inc), esc);
        }),
      );

      const webhooks = new WebhookSender(svc.config.webhooks, {
        db: svc.need('store').db,
        bus: svc.bus,
        log: svc.log,
        metrics: svc.metrics,
        extend,
      });
      webhooks.start();
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
      escalation.start();
      svc.parts.set('escalation', escalation);
      undo.push(() => escalation.stop());

      const app = svc.need('app');
      app.use(siteRoutes(svc));
      app.use(reportRoutes(svc));
      app.use(auditRoutes(svc));
      app.use(webhookRoutes(svc, webhooks));
    },
    async stop() {
      for (const fn of undo.splice(0).reverse()) await fn();
    },
  };
}
