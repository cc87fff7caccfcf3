import { type AsyncExtender, INCIDENT_EXTEND_ASYNC } from '../core/incident-extend.js';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import { roomsFor } from '../realtime/ops-namespace.js';
import type { Module, Service } from '../service.js';
import { CallStore } from './calls/call-store.js';
import { Confirmations } from './confirm/confirmations.js';
import { NotificationStore } from './notify/notification-store.js';
import { Notifier } from './notify/notifier.js';
import { runawayRoutes } from './runaway/runaway-routes.js';
import { scheduleRoutes } from './schedules/schedule-routes.js';
import { ScheduleStore } from './schedules/schedule-store.js';
import { ScheduleWatch } from './schedules/schedule-watch.js';
import { workflowStatusRoutes } from './status-routes.js';
import { stormRoutes } from './storm/storm-routes.js';
import { testEventPush } from './test-mode/test-event-push.js';
import { testModeRoutes } from './test-mode/test-mode-routes.js';
import type { TestMode } from './test-mode/test-mode-store.js';
import { workflowHooks, workflowStores } from './workflow-hooks.js';
import { WorkflowMaintainer } from './workflow-maintainer.js';
import { workflowIncidentRoutes } from './workflow-routes.js';
import { workflowExtender } from './workflow-view.js';

/** Part name of the async panel annotation (`runaway`) that `GET /api/panels/:id` applies. */
export const PANEL_EXTEND_ASYNC = 'panel.extendAsync';

/**
 * Issue 17, the alarm-centre workflow: action plans, call lists, ownership, test mode and runaway
 * panels on the event core's hooks; their routes; the maintainer of their timers. `now` is for tests
 * (fake clocks); the service runs on the wall clock.
 */
export function workflowModule(opts: { now?: () => Date } = {}): Module {
  let maintainer: WorkflowMaintainer | undefined;
  return {
    name: 'workflow',
    async start(svc: Service) {
      if (!svc.config.workflow.enabled) {
        svc.log.warn(
          'workflow: disabled by workflow.enabled: false (no plans, test mode, runaway or storms)',
        );
        return;
      }
      // Tests move time through this part ('workflow.clock'); the service runs on the wall clock.
      const clock = { now: opts.now ?? (() => new Date()) };
      svc.parts.set('workflow.clock', clock);
      const now = () => clock.now();
      const store = svc.need('store');
      const dir = svc.need('dir');
      const core = svc.need('core');
      const stores = { ...workflowStores(), calls: new CallStore() };
      core.setHooks(workflowHooks(svc.config, dir, stores, now));
      const extenders = (svc.parts.get(INCIDENT_EXTEND_ASYNC) as AsyncExtender[] | undefined) ?? [];
      const notifications = new NotificationStore();
      const notifier = new Notifier({
        k: store.k,
        cfg: svc.config,
        dir,
        core,
        store: notifications,
        log: svc.log,
        now,
      });
      await svc.part<OutboxDispatcher>('outbox.dispatcher').add(notifier.sink());
      notifier.start();
      svc.parts.set('workflow.notifier', notifier);
      svc.parts.set(INCIDENT_EXTEND_ASYNC, [
        ...extenders,
        workflowExtender(store.k, svc.config, dir, { ...stores, notifications }),
      ]);
      svc.parts.set(PANEL_EXTEND_ASYNC, async (panel: { id: string }) => {
        const r = await stores.runaways.open(store.k, panel.id);
        return r ? { ...panel, runaway: true, runawaySince: r.since } : { ...panel, runaway: false };
      });
      // The console's test badge and the contacts' notice: the site's test mode changed.
      const announce = (siteId: string, mode: TestMode, started: boolean) => {
        const minutes = Math.round((Date.parse(mode.endsAt) - Date.parse(mode.startedAt)) / 60_000);
        notifier
          .siteMoment(
            siteId,
            'test_mode',
            { started, ...(started ? { minutes, reason: mode.reason } : {}) },
            `${mode.id}:${started ? 'start' : 'end'}`,
          )
          .catch((err: unknown) =>
            svc.log.error({ err, site: siteId }, 'notify: test-mode notice not queued'),
          );
        const site = dir.site(siteId);
        if (site)
          svc
            .need('ops')
            .to(roomsFor(dir, { site: site.id, jurisdiction: site.jurisdiction }))
            .emit('site:test-mode', { site: site.id });
      };
      // The site desk lists a test event as it arrives; every node pushes to its own sockets.
      await svc.part<OutboxDispatcher>('outbox.dispatcher').add(
        testEventPush({
          dir,
          emit: (rooms, payload) => svc.need('ops').local.to(rooms).emit('site:test-event', payload),
        }),
      );
      const app = svc.need('app');
      const confirmations = new Confirmations(store.k, svc.config.workflow, dir, core);
      await svc.part<OutboxDispatcher>('outbox.dispatcher').add(confirmations.sink());
      app.use(workflowIncidentRoutes(svc, { ...stores, confirmations, notifier, notifications }, now));
      app.use(testModeRoutes(svc, { store: stores.testModes, audit: svc.need('audit'), now, announce }));
      const scheduleStore = new ScheduleStore();
      app.use(scheduleRoutes(svc, { store: scheduleStore, audit: svc.need('audit'), now }));
      const schedules = new ScheduleWatch({
        k: store.k,
        cfg: svc.config.schedules,
        dir,
        core,
        store: scheduleStore,
        log: svc.log,
        now,
      });
      // Before the outbox module starts the dispatcher: the sink resumes from its stored cursor.
      await svc.part<OutboxDispatcher>('outbox.dispatcher').add(schedules.sink());
      maintainer = new WorkflowMaintainer({
        schedules,
        storms: stores.storms,
        scheduleSeconds: svc.config.schedules.checkSeconds,
        k: store.k,
        core,
        audit: svc.need('audit'),
        log: svc.log,
        cfg: svc.config.workflow,
        testModes: stores.testModes,
        runaways: stores.runaways,
        now,
        announce,
      });
      svc.parts.set('workflow.maintainer', maintainer);
      const m = maintainer;
      app.use(
        stormRoutes(svc, { store: stores.storms, audit: svc.need('audit'), now, release: () => m.tick() }),
      );
      // A pass already running may have read the runaways before this clearance: the second sees it.
      const follow = async () => {
        await m.tick();
        await m.tick();
      };
      app.use(runawayRoutes(svc, { store: stores.runaways, audit: svc.need('audit'), now, follow }));
      app.use(workflowStatusRoutes(svc, { ...stores, now }));
      maintainer.start();
    },
    async stop(svc: Service) {
      if (!svc.config.workflow.enabled) return;
      await maintainer?.stop();
      await svc.part<Notifier | undefined>('workflow.notifier')?.stop();
      maintainer = undefined;
      svc.need('core').setHooks({});
    },
  };
}
