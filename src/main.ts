import { authModule } from './auth/auth-module.js';
import { Bus } from './bus.js';
import { cameraModule } from './cameras/camera-module.js';
import { clusterModule, clusterStartModule } from './cluster/cluster-module.js';
import type { Config } from './config/schema.js';
import { consoleModule } from './console/console-module.js';
import { incidentsModule } from './core/incidents-module.js';
import { demoModules } from './demo/demo-module.js';
import { systemModule } from './health/system-module.js';
import { liveModule, liveRelayModule } from './live/live-module.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import {
  coreModule,
  httpModule,
  listenModule,
  outboxModule,
  realtimeModule,
  storeModule,
} from './modules/foundation-modules.js';
import { noticesModule } from './notices/notices-module.js';
import { dc09Module } from './panels/dc09-module.js';
import { panelModule } from './panels/panel-module.js';
import { recordingModule } from './recording/recording-module.js';
import { reportsModule } from './reports/reports-module.js';
import { type Module, Service } from './service.js';
import { verificationModule } from './verification/verification-module.js';
import { workflowModule } from './workflow/workflow-module.js';

/**
 * The modules in start order; they stop in reverse. Nothing starts as an import side effect:
 * everything the service runs is listed here.
 */
export function modules(): Module[] {
  const demo = demoModules(); // simulated devices of the demo city (only with --demo)
  return [
    storeModule, // SQLite file, migrations, audit log
    clusterModule, // issue 16: leases (timers, cameras, exclusive outbox sinks) shared by the nodes of a city
    coreModule, // directory, access, auth, event core (recovers uncorrelated events)
    authModule, // issue 15: media-URL key, session re-check of open sockets, expired-session purge
    httpModule, // express + socket.io, API routes
    realtimeModule, // /ops rooms fed from the bus
    incidentsModule(), // issue 4: units, escalation, incident audit, webhooks, sites/tree/reports/audit API
    workflowModule(), // issue 17: action plans, call lists, ownership, test mode, runaway panels
    panelModule(), // MQTT broker and panel protocol v1
    dc09Module(), // issue 18: SIA DC-09 receiver (TCP+UDP), feeds the same core and panel supervision
    demo.cameras, // the demo's simulated cameras: up before the registry connects, down after it lets go
    cameraModule(), // issue 5: camera registry (svc.parts 'cameras'), ONVIF events, video-loss watchdog, camera API
    liveModule(), // issue 7: stream hub (svc.parts 'streams'), wall API, JPEG fallback
    recordingModule(), // issue 6: recorder (hub consumer), retention, alarm clips, playback, exports
    verificationModule(), // ONNX models: alarm verification, motion, plates (issue 9)
    systemModule, // 系统状态's minute-by-minute history (system_minutes) and its API
    consoleModule(), // issue 8: operator console preferences API (the console itself is static web/)
    reportsModule(), // issue 19: reporting tables (outbox sink), report worker, monthly ratings, report API
    noticesModule(), // issue 19: notices with receipts, reminders, the city-wide silent list, plate watch
    listenModule, // static console, error handler, listen
    clusterStartModule, // issue 16: lease rounds begin once every module has registered its jobs
    outboxModule, // issue 13: every sink is added; deliver what is committed (and what a crash left)
    liveRelayModule(), // issue 7: WebSocket /live/{camera} (stops before listen: open sockets block close)
    demo.panels, // the demo's simulated panels (they need the broker's port)
  ];
}

export interface RunningService {
  svc: Service;
  stop(): Promise<void>;
}

export async function startService(opts: {
  config: Config;
  configFile?: string;
  log: Logger;
  demo?: boolean;
  metrics?: Metrics;
}): Promise<RunningService> {
  const svc = new Service({
    config: opts.config,
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
    log: opts.log,
    metrics: opts.metrics ?? new Metrics(),
    bus: new Bus(),
    demo: opts.demo ?? false,
  });
  svc.bus.onListenerError = (event, err) =>
    svc.log.error({ err, event }, 'bus: a listener failed; the others ran');
  const started: Module[] = [];
  const stop = async () => {
    svc.beginStop();
    for (const m of started.splice(0).reverse()) {
      try {
        await m.stop?.(svc);
      } catch (err) {
        // Keep stopping the rest: a module that fails to stop must not keep the others running.
        svc.log.error({ err, module: m.name }, 'service: module failed to stop');
      }
    }
  };
  try {
    for (const m of modules()) {
      await m.start(svc);
      started.push(m);
      svc.log.debug({ module: m.name }, 'service: module started');
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { svc, stop };
}
