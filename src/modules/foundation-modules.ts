import { createServer } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { Server as IoServer } from 'socket.io';
import { authRoutes } from '../api/auth-routes.js';
import { healthRoutes } from '../api/health-routes.js';
import { incidentRoutes } from '../api/incidents-routes.js';
import { errorHandler } from '../api/middleware.js';
import { AuditLog } from '../audit/audit-log.js';
import { attachIncidentAudit } from '../audit/incident-audit.js';
import { Access } from '../auth/access.js';
import { AuthService } from '../auth/auth-service.js';
import { Directory } from '../core/directory.js';
import { EventCore } from '../core/event-core.js';
import { incidentExtender } from '../core/incident-extend.js';
import { attachOpsNamespace } from '../realtime/ops-namespace.js';
import type { Module } from '../service.js';
import { SqliteStore } from '../store/sqlite.js';

export const WEB_ROOT = join(import.meta.dirname, '..', '..', 'web');

export const storeModule: Module = {
  name: 'store',
  async start(svc) {
    const file = join(svc.config.storage.dataDir, 'sharpeyes.db');
    svc.store = new SqliteStore(file);
    svc.audit = new AuditLog(svc.store.db);
    svc.log.info({ file }, 'store: open');
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
    svc.auth = new AuthService(svc.need('store'), svc.config.auth);
    svc.core = new EventCore({
      store: svc.need('store'),
      bus: svc.bus,
      dir,
      log: svc.log,
      metrics: svc.metrics,
      rules: svc.config.rules, // issue 4: undefined → built-in defaults
    });
    // Issue 4: every incident change is audited, the recovered ones included.
    svc.parts.set('incident.audit.detach', attachIncidentAudit(svc.bus, svc.need('audit')));
    const recovered = await svc.core.recover();
    if (recovered > 0) svc.log.warn({ recovered }, 'core: correlated events committed before a crash');
  },
  async stop(svc) {
    // In-flight events are committed before the store closes.
    await svc.core?.drain();
  },
};

/** Express and Socket.IO, created early so later modules can mount routes and namespaces. */
export const httpModule: Module = {
  name: 'http',
  async start(svc) {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', 'loopback');
    app.use(express.json({ limit: '256kb' }));
    const http = createServer(app);
    const io = new IoServer(http, { serveClient: true, cors: { origin: false } });
    svc.app = app;
    svc.http = http;
    svc.io = io;
    svc.ops = io.of('/ops');
    app.use(healthRoutes(svc));
    app.use(authRoutes(svc));
    app.use(incidentRoutes(svc));
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
      extend: incidentExtender(svc.parts),
    });
    svc.parts.set('realtime.detach', detach);
  },
  async stop(svc) {
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
    app.use('/api', (req, res) => {
      res
        .status(404)
        .json({ error: { code: 'not_found', message: `no route ${req.method} /api${req.path}` } });
    });
    app.use(errorHandler(svc.log, (status, code) => apiErrors.inc({ status: String(status), code })));
    const http = svc.need('http');
    const { host, port } = svc.config.http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => resolve());
    });
    const addr = http.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    svc.parts.set('httpPort', actualPort);
    svc.url = svc.config.http.publicUrl ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
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
