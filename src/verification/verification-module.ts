import { resolve } from 'node:path';
import { Detector } from '../../models/detector-runner.js';
import { PlateReader } from '../../models/plate-reader.js';
import type { Incident } from '../core/incident-types.js';
import { errorMessage } from '../errors.js';
import type { Module, Service } from '../service.js';
import { MotionMaintainer } from './motion-maintainer.js';
import { PlateMaintainer } from './plate-maintainer.js';
import { verificationRoutes } from './verification-routes.js';
import { VerificationStore } from './verification-store.js';
import { shouldVerify, Verifier } from './verifier.js';

interface Running {
  detector?: Detector;
  plates?: PlateReader;
  motion?: MotionMaintainer;
  checkpoint?: PlateMaintainer;
  verifier: Verifier;
  inFlight: Set<Promise<unknown>>;
  off: () => void;
}

/** Opens the configured detector; a missing or broken model file stops the start with its reason. */
export async function openDetector(svc: Service): Promise<Detector | undefined> {
  const d = svc.config.models.detector;
  if (!d) return undefined;
  return Detector.open({
    model: d.path,
    layout: d.layout,
    inputSize: d.inputSize,
    classes: d.classes,
    keepClasses: d.keepClasses,
    scoreThreshold: d.scoreThreshold,
    iouThreshold: d.iouThreshold,
    threads: d.threads,
    workers: d.workers,
    batchSize: d.batchSize,
  });
}

/**
 * Alarm verification with ONNX models (issue 9): verifies intrusion incidents on the footage of their
 * cameras, watches configured cameras for motion, reads plates at checkpoints. Publishes the part
 * `verification` and the `incident.extend` hook that adds `verification` to the incident JSON.
 */
export function verificationModule(): Module {
  let running: Running | undefined;
  return {
    name: 'verification',
    async start(svc) {
      const cfg = svc.config.models;
      const store = new VerificationStore(svc.need('store').db);
      const detector = await openDetector(svc);
      const verifier = new Verifier({
        svc,
        store,
        detector,
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
      const off = cfg.verification.enabled
        ? svc.bus.on('incident:new', (inc) => {
            if (shouldVerify(inc)) run(inc);
          })
        : () => undefined;
      running = { verifier, inFlight, off, ...(detector ? { detector } : {}) };
      svc.parts.set('verification', verifier);
      svc.parts.set('incident.extend', (inc: Incident) => {
        const v = store.get(inc.id);
        return v ? { ...inc, verification: v } : inc;
      });
      svc.need('app').use(verificationRoutes(svc, store));
      if (Object.keys(cfg.motion.cameras).length > 0) {
        running.motion = new MotionMaintainer(svc, cfg.motion);
        // After every module has started, so the streams hub (if any) is there to subscribe to.
        setImmediate(() => running?.motion?.start());
      }
      if (cfg.plates.cameras.length > 0) {
        running.plates = await PlateReader.open({
          threads: cfg.plates.threads,
          ...(cfg.plates.detModel ? { detModel: cfg.plates.detModel } : {}),
          ...(cfg.plates.recModel ? { recModel: cfg.plates.recModel } : {}),
          ...(cfg.plates.dictionary ? { dictionary: cfg.plates.dictionary } : {}),
        });
        running.checkpoint = new PlateMaintainer(svc, running.plates, cfg.plates);
        svc.parts.set('plates', running.checkpoint);
        running.checkpoint.start();
      }
      // A verification a crash interrupted stays `pending`: its live window has passed; say so once.
      const pending = store.pending();
      if (pending.length > 0) svc.log.warn({ incidents: pending }, 'verification: interrupted by a restart');
    },
    async stop() {
      if (!running) return;
      const r = running;
      running = undefined;
      r.off();
      await r.motion?.stop();
      await r.checkpoint?.stop();
      await Promise.allSettled([...r.inFlight]);
      await r.detector?.close();
      await r.plates?.close();
    },
  };
}
