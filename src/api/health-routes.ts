import { Router } from 'express';
import { sql } from 'kysely';
import type { OutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import type { Service } from '../service.js';
import { route } from './middleware.js';

/** Health reports each part a duty engineer would check first. No auth: load balancers poll it. */
export function healthRoutes(svc: Service): Router {
  const r = Router();
  r.get(
    '/api/health',
    route(async (_req, res) => {
      let db = 'ok';
      try {
        await sql`SELECT 1`.execute(svc.need('store').k);
      } catch (err) {
        // The answer itself says degraded; the log says why.
        svc.log.warn({ err }, 'health: the database did not answer');
        db = 'error';
      }
      const checks: Record<string, unknown> = { db };
      for (const [name, part] of svc.parts) {
        const health = (part as { health?: () => unknown } | undefined)?.health;
        if (typeof health === 'function') checks[name] = health.call(part);
      }
      // The alarm path: the last minute's events and how long their senders waited for durability.
      if (svc.core) checks['core'] = svc.core.health();
      // Each sink of the outbox: behind by how many rows and how long, failing since when.
      const dispatcher = svc.parts.get('outbox.dispatcher') as OutboxDispatcher | undefined;
      if (dispatcher && db === 'ok') {
        try {
          checks['outbox'] = { sinks: await dispatcher.status() };
        } catch (err) {
          svc.log.warn({ err }, 'health: the outbox sinks could not be read');
          checks['outbox'] = 'error';
        }
      }
      const ok = db === 'ok';
      res.status(ok ? 200 : 503).json({
        status: ok ? 'ok' : 'degraded',
        version: process.env['npm_package_version'] ?? '0.1.0',
        uptimeSeconds: Math.round((Date.now() - svc.startedAt.getTime()) / 1000),
        checks,
      });
    }),
  );
  r.get(
    '/metrics',
    route(async (_req, res) => {
      res.type(svc.metrics.registry.contentType).send(await svc.metrics.registry.metrics());
    }),
  );
  return r;
}
