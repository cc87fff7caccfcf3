import { CameraSimulator } from '../../drivers/simulator/camera-simulator/camera-simulator.js';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { CameraConfig } from '../config/sections/cameras.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

const LOCAL = new Set(['127.0.0.1', 'localhost']);
/** Small and slow enough that a laptop runs the whole demo city's encoders. */
const DEMO_VIDEO = { width: 640, height: 360, fps: 10 } as const;

export interface DemoCameras {
  /** Raises motion on a random simulated ONVIF camera (the demo's idle activity). */
  motionSomewhere(): void;
  stop(): Promise<void>;
}

/**
 * Simulates every camera of the config that points at this machine: an ONVIF simulator on the port
 * of its device URL (credentials from config), or an RTSP source on the port and path of its URL.
 * A camera whose port is taken is skipped with a warning; the registry then reports it offline.
 */
export async function startDemoCameras(cameras: CameraConfig[], log: Logger): Promise<DemoCameras> {
  const sims: CameraSimulator[] = [];
  const sources: RtspSource[] = [];
  for (const cam of cameras) {
    try {
      if (cam.onvif) {
        const u = new URL(cam.onvif.url);
        if (!LOCAL.has(u.hostname)) continue;
        const sim = new CameraSimulator({
          ...DEMO_VIDEO,
          port: Number(u.port || 80),
          name: cam.name ?? cam.id,
          ...(cam.onvif.username !== undefined
            ? { username: cam.onvif.username, password: cam.onvif.password ?? '' }
            : {}),
        });
        sims.push(await sim.start());
      } else if (cam.rtsp) {
        const u = new URL(cam.rtsp);
        if (!LOCAL.has(u.hostname)) continue;
        const path = u.pathname.replace(/^\//, '') || 'main';
        sources.push(
          await startRtspSource({
            ...DEMO_VIDEO,
            port: Number(u.port || 554),
            paths: [path],
            ...(u.username
              ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
              : {}),
          }),
        );
      }
    } catch (err) {
      log.warn({ camera: cam.id, err: errorMessage(err) }, 'demo: cannot simulate camera');
    }
  }
  log.info({ onvif: sims.length, rtsp: sources.length }, 'demo: simulated cameras online');
  return {
    motionSomewhere() {
      const sim = sims[Math.floor(Math.random() * sims.length)];
      sim?.raise('motion');
    },
    async stop() {
      await Promise.all([...sims.splice(0).map((s) => s.stop()), ...sources.splice(0).map((s) => s.stop())]);
    },
  };
}
