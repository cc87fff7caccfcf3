import { parseArgs } from 'node:util';
import { CameraSimulator } from '../../drivers/simulator/camera-simulator/camera-simulator.js';
import { redactUrl } from '../log.js';
import { commonOptions, intOption, type Verb } from './common.js';

function positiveInt(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be an integer 1..${max}, got "${v}"`);
  return n;
}

/**
 * `simulate camera --port N [--count N]`: simulated ONVIF cameras on ports N, N+1, … with a real
 * H.264 RTSP stream each. Control while running: `POST http://127.0.0.1:N/control/motion`
 * (also `tamper`, `video_loss`, `drop`, `resume`; `?active=false` ends motion/tamper).
 */
export const simulateCameraVerb: Verb = {
  name: 'simulate camera',
  summary: 'run simulated ONVIF cameras (discovery, media, PTZ, PullPoint events, H.264 over RTSP/TCP)',
  usage:
    'simulate camera --port N [--count N] [--username U --password P] [--width W --height H --fps F] [--discovery-port 3702] [--rtsp-port N]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        ...commonOptions,
        port: { type: 'string' },
        count: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        fps: { type: 'string' },
        'discovery-port': { type: 'string' },
        'rtsp-port': { type: 'string' },
      },
      strict: true,
    });
    const port = intOption('port', values.port);
    if (port === undefined) throw new Error('--port is required (0 picks a free port)');
    const count = positiveInt('count', values.count, 64) ?? 1;
    const width = positiveInt('width', values.width, 3840) ?? 1280;
    const height = positiveInt('height', values.height, 2160) ?? 720;
    const fps = positiveInt('fps', values.fps, 60) ?? 15;
    const discovery = intOption('discovery-port', values['discovery-port']);
    const rtspPort = intOption('rtsp-port', values['rtsp-port']);
    if ((values.username === undefined) !== (values.password === undefined))
      throw new Error('--username and --password go together');

    const sims: CameraSimulator[] = [];
    const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
    try {
      for (let i = 0; i < count; i++) {
        const sim = new CameraSimulator({
          port: port === 0 ? 0 : port + i,
          name: `SE-SIM-${i + 1}`,
          width,
          height,
          fps,
          ...(values.username !== undefined
            ? { username: values.username, password: values.password ?? '' }
            : {}),
          // Only the first camera can own a fixed discovery port; the others answer unicast probes.
          ...(discovery !== undefined && i === 0
            ? { discoveryPort: discovery, multicast: discovery === 3702 }
            : {}),
          ...(rtspPort !== undefined && rtspPort !== 0 ? { rtspPort: rtspPort + i } : {}),
        });
        await sim.start();
        sims.push(sim);
        out({
          camera: i + 1,
          device: sim.deviceUrl,
          rtsp: { main: redactUrl(sim.rtspUrl('main')), sub: redactUrl(sim.rtspUrl('sub')) },
          discovery: `udp://127.0.0.1:${sim.discoveryPort}`,
          control: `http://127.0.0.1:${sim.port}/control/{motion|tamper|video_loss|drop|resume}`,
        });
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    } finally {
      await Promise.all(sims.map((s) => s.stop()));
    }
    return 0;
  },
};
