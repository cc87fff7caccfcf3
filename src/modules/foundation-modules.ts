import { join } from 'node:path';
import express from 'express';
import { Server as IoServer } from 'socket.io';
import { authRoutes } from '../api/auth-routes.js';
import { utf8JsonOnly } from '../api/body-errors.js';
import { healthRoutes } from '../api/health-routes.js';
import { createHttpServer } from '../api/http-server.js';
import { incidentRoutes } from '../api/incidents-routes.js';
import { mediaRoutes } from '../api/media-routes.js';
import { errorHandler } from '../api/middleware.js';
import { RefusalAudit } from '../api/refusal-audit.js';
import { cspFor, securityHeaders } from '../api/security-headers.js';
import { userRoutes } from '../api/user-routes.js';
import { AuditLog } from '../audit/audit-log.js';
import { Access } from '../auth/access.js';
import { AuthService } from '../auth/auth-service.js';
import type { Cluster } from '../cluster/cluster.js';
import { Directory } from '../core/directory.js';
import { EventCore } from '../core/event-core.js';
import type { NormalizedEvent } from '../core/events.js';
import { incidentsViewer, incidentViewer, REHEARSAL_EVENTS, rehearseViews } from '../core/incident-extend.js';
import { HttpError } from '../errors.js';
import { redactUrl } from '../log.js';
import { auditSink } from '../outbox/audit-sink.js';
import { busRelaySink } from '../outbox/bus-relay.js';
import { Outbox } from '../outbox/outbox.js';
import { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import { OutboxPurge } from '../outbox/outbox-purge.js';
import { attachOpsNamespace } from '../realtime/ops-namespace.js';
import { attachRedisAdapter, crossNodeWake } from '../realtime/redis-adapter.js';
import type { Module } from '../service.js';
import { openStore, sqliteFile } from '../store/open.js';

export const WEB_ROOT = join(import.meta.dirname, '..', '..', 'web');

export const storeModule: Module = {
  name: 'store',
  async start(svc) {
    const { storage } = svc.config;
    svc.store = await openStore(storage);
    if (storage.database.kind === 'postgres')
      svc.log.info({ url: redactUrl(storage.database.url) }, 'store: PostgreSQL open');
    else svc.log.info({ file: sqliteFile(storage.dataDir) }, 'store: open');
    svc.audit = new AuditLog(svc.store.k, svc.store.dialect);
  },
  async stop(svc) {
    await svc.store?.close();
  },
};

export const coreModule: Module = {
  name: 'core',
  async start(svc) {
    const dir = new Directory(svc.config);
    svc.dir = dir;
    svc.access = new Access(dir);
    svc.auth = new AuthService(svc.need('store'), svc.config.auth, Date.now, svc.log);
    const store = svc.need('store');
    const outbox = new Outbox(store.k, undefined, store.dialect);
    const dispatcher = new OutboxDispatcher({
      outbox,
      log: svc.log,
      metrics: svc.metrics,
      ...(svc.parts.has('cluster') ? { cluster: svc.part<Cluster>('cluster') } : {}),
    });
    svc.outbox = outbox;
    svc.parts.set('outbox.dispatcher', dispatcher);
    svc.core = new EventCore({
      store,
      outbox,
      bus: svc.bus,
      dir,
      log: svc.log,
      metrics: svc.metrics,
      rules: svc.config.rules, // issue 4: undefined → built-in defaults
      deviceRate: svc.config.mqtt.embedded?.panelRate,
    });
    // Issue 13: the sinks read the outbox from their own cursors; the dispatcher starts once every
    // module has added its sink (outboxModule), so what a crash left undelivered reaches all of them.
    const cluster = svc.parts.has('cluster') ? svc.part<Cluster>('cluster') : undefined;
    await dispatcher.add(
      busRelaySink({
        bus: svc.bus,
        views: store.incidents,
        log: svc.log,
        ...(cluster && store.dialect === 'postgres' ? { nodeId: cluster.nodeId } : {}),
      }),
    );
    await dispatcher.add(auditSink(svc.need('audit')));
    const recovered = await svc.core.recover();
    if (recovered > 0)
      svc.log.warn({ recovered }, 'core: decided events an older version had left undecided');
  },
  async stop(svc) {
    // In-flight events are committed before the store closes.
    await svc.core?.drain();
  },
};

/**
 * Starts the outbox dispatcher once every module has added its sink; stops it first (the modules
 * its sinks call are still running then).
 */
export const outboxModule: Module = {
  name: 'outbox',
  async start(svc) {
    // Issue 13: the first alarm's push, rehearsed once every module has added its annotations (the
    // panel module leaves its rehearsal's events for this); before the sinks run, so nothing is pushed.
    const rehearsed = svc.parts.get(REHEARSAL_EVENTS) as readonly NormalizedEvent[] | undefined;
    const event = rehearsed?.find((e) => e.type === 'panic');
    if (event) {
      const t0 = performance.now();
      await rehearseViews(
        svc.need('core'),
        svc.need('store').incidents,
        incidentsViewer(svc.parts),
        event,
      ).then(
        (views) =>
          svc.log.info({ views, ms: Math.round(performance.now() - t0) }, 'outbox: the first push rehearsed'),
        (err: unknown) => svc.log.warn({ err }, 'outbox: the push rehearsal failed; starting anyway'),
      );
    }
    const dispatcher = svc.part<OutboxDispatcher>('outbox.dispatcher');
    dispatcher.start();
    // Rows every sink has passed, once older than storage.outboxKeepDays (one node of a city).
    const purge = new OutboxPurge({
      k: svc.need('store').k,
      keepDays: svc.config.storage.outboxKeepDays,
      sinks: () => Object.keys(dispatcher.positions()),
      log: svc.log,
      metrics: svc.metrics,
    });
    svc.parts.set('outbox.purge', purge);
    const job = { start: () => purge.start(3_600_000), stop: () => purge.stop() };
    const cluster = svc.parts.get('cluster') as Cluster | undefined;
    if (cluster) cluster.run('timer:outbox-purge', job);
    else job.start();
  },
  async stop(svc) {
    if (svc.parts.has('outbox.purge')) await svc.part<OutboxPurge>('outbox.purge').stop();
    await svc.part<OutboxDispatcher>('outbox.dispatcher').stop();
  },
};

/** Express and Socket.IO, created early so later modules can mount routes and namespaces. */
export const httpModule: Module = {
  name: 'http',
  async start(svc) {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', 'loopback');
    // Issue 15: CSP and the usual headers on everything, before any route or static file.
    app.use(
      securityHeaders({
        tls: svc.config.http.tls !== undefined,
        csp: svc.config.http.contentSecurityPolicy ?? cspFor(svc.config.map.tiles),
      }),
    );
    app.use(utf8JsonOnly());
    app.use(express.json({ limit: '256kb' }));
    const { server: http, scheme } = createHttpServer(svc.config.http, app);
    svc.parts.set('httpScheme', scheme);
    // Issue 15: 401s, 403s and out-of-scope 404s (REST, /ops, /live) are audited, bounded, as access.denied.
    svc.parts.set(
      'refusals',
      new RefusalAudit({
        audit: svc.need('audit'),
        access: svc.need('access'),
        dir: svc.need('dir'),
        incidentPlace: (id) => svc.need('core').repo.placeOf(id),
        userPlace: async (username) => {
          const u = await svc.need('auth').store.userWithHash(username);
          return u && { role: u.role, scope: u.scope };
        },
        log: svc.log,
        metrics: svc.metrics,
      }),
    );
    const io = new IoServer(http, { serveClient: true, cors: { origin: false } });
    svc.app = app;
    svc.http = http;
    svc.io = io;
    svc.ops = io.of('/ops');
    if (svc.config.realtime.redis)
      svc.parts.set('realtime.redis', await attachRedisAdapter(io, svc.config.realtime.redis, svc.log));
    app.use(healthRoutes(svc));
    app.use(authRoutes(svc));
    app.use(incidentRoutes(svc));
    app.use(mediaRoutes(svc)); // issue 15: signed media URLs
    app.use(userRoutes(svc)); // issue 15: admin users page
  },
  // Redis is let go here, in reverse of where it was attached: after the modules that stop later than
  // `listen` closes the sockets, so a stopping node's last word (system:status `stopped`) still
  // reaches the desks on the other nodes.
  async stop(svc) {
    if (svc.parts.has('realtime.redis')) await svc.part<() => Promise<void>>('realtime.redis')();
  },
};

export const realtimeModule: Module = {
  name: 'realtime',
  async start(svc) {
    const detach = attachOpsNamespace(svc.need('ops'), {
      auth: svc.need('auth'),
      bus: svc.bus,
      dir: svc.need('dir'),
      log: svc.log,
      extend: incidentViewer(svc.parts),
      refusals: svc.part<RefusalAudit>('refusals'),
    });
    svc.parts.set('realtime.detach', detach);
    if (svc.config.realtime.redis) {
      const dispatcher = svc.part<OutboxDispatcher>('outbox.dispatcher');
      const outbox = svc.need('outbox');
      svc.parts.set(
        'realtime.wake',
        crossNodeWake(
          svc.need('ops'),
          (fn) => outbox.onWake(fn),
          () => dispatcher.poke(),
          svc.log,
        ),
      );
    }
  },
  async stop(svc) {
    if (svc.parts.has('realtime.wake')) svc.part<() => void>('realtime.wake')();
    if (svc.parts.has('realtime.detach')) svc.part<() => void>('realtime.detach')();
  },
};

/** Last: static console, JSON 404s, the error handler, then listen. */
export const listenModule: Module = {
  name: 'listen',
  async start(svc) {
    const app = svc.need('app');
    const apiErrors = svc.metrics.counter('sharpeyes_http_errors_total', 'HTTP error responses', [
      'status',
      'code',
    ]);
    app.use(express.static(WEB_ROOT, { index: 'index.html', maxAge: 0 }));
    // Through the error handler, so an unknown route is counted (and audited when refused) like any other.
    app.use('/api', (req, _res, next) => {
      next(new HttpError(404, 'not_found', `no route ${req.method} /api${req.path}`));
    });
    const refusals = svc.part<RefusalAudit>('refusals');
    app.use(
      errorHandler(svc.log, (status, code, req) => {
        apiErrors.inc({ status: String(status), code });
        refusals.record(req, status, code);
      }),
    );
    const http = svc.need('http');
    const { host, port } = svc.config.http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    const addr = http.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    svc.parts.set('httpPort', actualPort);
    const scheme = svc.parts.get('httpScheme') === 'https' ? 'https' : 'http';
    svc.url =
      svc.config.http.publicUrl ?? `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
    svc.log.info({ url: svc.url }, 'http: listening');
  },
  async stop(svc) {
    await new Promise<void>((resolve) => {
      if (!svc.io) return resolve();
      svc.io.close(() => resolve());
    });
    svc.http?.closeAllConnections();
  },
};
