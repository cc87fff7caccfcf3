import type { Module } from '../service.js';
import { consolePrefsRoutes } from './console-prefs.js';

/**
 * The operator console's own server part (issue 8): per-user preferences. The console itself is
 * static (`web/`, served by the listen module); everything else it shows comes from the other parts'
 * routes. Starts before `listen`, whose JSON 404 closes the `/api` namespace.
 */
export function consoleModule(): Module {
  return {
    name: 'console',
    async start(svc) {
      svc.need('app').use(consolePrefsRoutes(svc));
    },
  };
}
