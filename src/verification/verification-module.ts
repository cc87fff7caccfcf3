import { resolve } from 'node:path';
import type { Cluster } from '../cluster/cluster.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Module } from '../service.js';
import { ModelRuntime } from './model-runtime.js';
import { MotionMaintainer } from './motion-maintainer.js';
import { PlateMaintainer } from './plate-maintainer.js';
import { verificationRoutes } from './verification-routes.js';
import { VerificationStore } from './verification-store.js';
import { shouldVerify, Verifier } from './verifier.js';

interface Running {
  models: ModelRuntime;
  motion?: MotionMaintainer;
  checkpoint?: PlateMaintainer;
  verifier: Verifier;
  inFlight: Set<Promise<unknown>>;
  off: () => void;
  warm?: NodeJS.Timeout;
}

/**
 * Alarm verification (issues 9 and 20): verifies intrusion incidents on the footage of their cameras
 * with the object detector (the built-in NanoDet unless configured otherwise), watches configured
 * cameras for motion, reads plates at checkpoints; detector and plate reader share one inference pool
 * (`svc.parts 'models'`). Publishes the part `verification` and the `incident.extend` hook that adds
 * `verification` to the incident JSON.
 */
export function verificationModule(): Module {
  let running: Running | undefined;
  return {
    name: 'verification',
    async start(svc) {
      const cfg = svc.config.models;
      const store = new VerificationStore(svc.need('store').k);
      const models = new ModelRuntime(cfg, svc.config.storage.dataDir, svc.metrics);
      try {
        // Your own ONNX file is opened now, so a wrong path or a broken file stops the start with its
        // reason; the built-in detector opens on the first alarm with frames (converted once).
        if (cfg.detector.enabled && cfg.detector.path) await models.detector();
        if (cfg.plates.cameras.length > 0) await models.plates();
      } catch (err) {
        await models.close();
        throw err;
      }
      const verifier = new Verifier({
        svc,
        store,
        detector: () => models.detector(),
        profile: models.profile,
        config: cfg,
        // Absolute: the frame route serves it with sendFile, and dataDir may be relative (./data).
        framesDir: resolve(svc.config.storage.dataDir, 'verification'),
      });
      const inFlight = new Set<Promise<unknown>>();
      const run = (inc: Incident) => {
        const p = verifier
          .verify(inc)
          .catch((err: unknown) =>
            svc.log.error({ err: errorMessage(err), incident: inc.id }, 'verification: failed'),
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      };
      // Issue 16: every node of a city relays every incident to its bus; one of them (the holder of
      // `timer:verification`) verifies it, so the models run and the verdict is written once.
      const cluster = svc.parts.get('cluster') as Cluster | undefined;
      cluster?.run('timer:verification', { start: () => undefined, stop: () => undefined });
      const verifiesHere = () => cluster?.holds('timer:verification') ?? true;
      const off = cfg.verification.enabled
        ? svc.bus.on('incident:new', (inc) => {
            if (shouldVerify(inc) && verifiesHere()) run(inc);
          })
        : () => undefined;
      running = { verifier, inFlight, off, models };
      svc.parts.set('verification', verifier);
      svc.parts.set('models', models);
      if (svc.demo && cfg.detector.enabled && cfg.verification.enabled) {
        // The demo's first alarm should not wait for the one-time conversion: do it in the background.
        running.warm = setTimeout(() => {
          models
            .detector()
            .catch((err: unknown) =>
              svc.log.warn({ err: errorMessage(err) }, 'verification: detector not ready'),
            );
        }, 2_000);
        running.warm.unref();
      }
      svc.parts.set('incident.extend', (inc: Incident) => {
        const v = store.cached(inc.id);
        return v ? { ...inc, verification: v } : inc;
      });
      svc.need('app').use(verificationRoutes(svc, store));
      if (Object.keys(cfg.motion.cameras).length > 0) {
        running.motion = new MotionMaintainer(svc, cfg.motion);
        // After every module has started, so the streams hub (if any) is there to subscribe to.
        setImmediate(() => running?.motion?.start());
      }
      if (cfg.plates.cameras.length > 0) {
        // Opened above: a start never fails half-way with the pool's workers left running.
        running.checkpoint = new PlateMaintainer(svc, await models.plates(), cfg.plates);
        svc.parts.set('plates', running.checkpoint);
        running.checkpoint.start();
      }
      // A verification a crash interrupted stays `pending`: its live window has passed; say so once.
      const pending = await store.pending();
      if (pending.length > 0) svc.log.warn({ incidents: pending }, 'verification: interrupted by a restart');
    },
    async stop() {
      if (!running) return;
      const r = running;
      running = undefined;
      r.off();
      r.verifier.stop();
      if (r.warm) clearTimeout(r.warm);
      await r.motion?.stop();
      await r.checkpoint?.stop();
      await Promise.allSettled([...r.inFlight]);
      await r.models.close();
    },
  };
}
