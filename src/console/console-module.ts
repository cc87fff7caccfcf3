import { WEB_ROOT } from '../modules/foundation-modules.js';
import type { Module } from '../service.js';
import { consolePrefsRoutes } from './console-prefs.js';
import { notFoundPage, vendorRoutes } from './console-static.js';
import { ConsoleStore } from './console-store.js';
import { eventDetailsRoutes } from './event-details-routes.js';
import { handoverRoutes } from './handover-routes.js';
import { mapRoutes } from './map-routes.js';

/**
 * The operator console's own server part: per-user preferences (issue 8), the map's configuration,
 * event details, shift handover notes, the vendored map library and the not-found page (issue 21).
 * The console itself is static (`web/`, served by the listen module); everything else it shows comes
 * from the other parts' routes. Starts before `listen`, whose JSON 404 closes the `/api` namespace.
 */
export function consoleModule(): Module {
  return {
    name: 'console',
    async start(svc) {
      const store = new ConsoleStore(svc.need('store').k, svc.need('store').dialect);
      const app = svc.need('app');
      app.use(consolePrefsRoutes(svc, store));
      app.use(mapRoutes(svc));
      app.use(eventDetailsRoutes(svc, store));
      app.use(handoverRoutes(svc, store));
      app.use(vendorRoutes());
      app.use(notFoundPage(WEB_ROOT));
    },
  };
}
