import { Router } from 'express';
import { sql } from 'kysely';
import type { CameraLosses } from '../cameras/camera-losses.js';
import type { EventCore } from '../core/event-core.js';
import type { TogetherHealth } from '../health/lost-together.js';
import type { OutboxDispatcher, SinkStatus } from '../outbox/outbox-dispatcher.js';
import type { Service } from '../service.js';
import { route } from './middleware.js';

/**
 * Counts a part reports (`panels`, `cameras`), as far as the history reads them: `lost` now, and on
 * the node that judges them the most whose silences began (panels) or whose last video came (cameras)
 * within `storage.panelsLostTogether.minutes` (`camerasLostTogether`), with the level when that makes
 * a trouble and where most of them are (`togetherHealth`).
 */
interface PartCounts extends Partial<TogetherHealth> {
  panels?: number;
  online?: number;
  cameras?: number;
  up?: number;
  lost?: number;
}

/** What `/api/health` answers under `checks`: each part's `health()` by its name, and these. */
export interface HealthChecks {
  db: 'ok' | 'error';
  /** The alarm path's last minute (`EventCore.health`). */
  core?: ReturnType<EventCore['health']>;
  /** Each outbox sink running here; 'error' when they could not be read. */
  outbox?: { sinks: Record<string, SinkStatus> } | 'error';
  panels?: PartCounts;
  cameras?: PartCounts;
  [part: string]: unknown;
}

/**
 * The checks a duty engineer looks at first, for `/api/health` and for 系统状态's history (which
 * reads the minute that ended at `coreEnd`). `ok` is false only when the database does not answer.
 */
export async function healthChecks(
  svc: Service,
  coreEnd?: number,
): Promise<{ ok: boolean; checks: HealthChecks }> {
  let db: HealthChecks['db'] = 'ok';
  try {
    await sql`SELECT 1`.execute(svc.need('store').k);
  } catch (err) {
    // The answer itself says degraded; the log says why.
    svc.log.warn({ err }, 'health: the database did not answer');
    db = 'error';
  }
  const checks: HealthChecks = { db };
  for (const [name, part] of svc.parts) {
    const health = (part as { health?: () => unknown } | undefined)?.health;
    if (typeof health === 'function') checks[name] = health.call(part);
  }
  // The alarm path: the last minute's events and how long their senders waited for durability.
  if (svc.core) checks.core = svc.core.health(coreEnd);
  // Each sink of the outbox: behind by how many rows and how long, failing since when.
  const dispatcher = svc.parts.get('outbox.dispatcher') as OutboxDispatcher | undefined;
  if (dispatcher && db === 'ok') {
    try {
      checks.outbox = { sinks: await dispatcher.status() };
    } catch (err) {
      svc.log.warn({ err }, 'health: the outbox sinks could not be read');
      checks.outbox = 'error';
    }
  }
  // Cameras lost now and together, read from every node's stored losses (the registry knows only its own).
  const losses = svc.parts.get('cameras.losses') as CameraLosses | undefined;
  if (losses && db === 'ok') {
    try {
      checks.cameras = { ...checks.cameras, ...(await losses.counts()) };
    } catch (err) {
      svc.log.warn({ err }, "health: the cameras' losses could not be read");
    }
  }
  return { ok: db === 'ok', checks };
}

/** Health reports each part a duty engineer would check first. No auth: load balancers poll it. */
export function healthRoutes(svc: Service): Router {
  const r = Router();
  r.get(
    '/api/health',
    route(async (_req, res) => {
      const { ok, checks } = await healthChecks(svc);
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
