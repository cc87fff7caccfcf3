// The service with the live test city, as its own process for bench/live-latency.ts (so its CPU is
// measured apart from the viewers). RTSP_BASE = rtsp://127.0.0.1:port of a running simulated source.
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import { startTestService } from '../../test/helpers/service.js';
import { liveCityYaml } from '../../test/live/live-fixture.js';

const base = process.env.RTSP_BASE ?? '';
const source = { url: (p = 'main') => `${base}/${p}` } as RtspSource;
const svc = await startTestService({ yaml: liveCityYaml(source) });
const token = await svc.login('bench', 'operator', 'city');
process.stdout.write(`LIVE_URL=${svc.httpUrl}\nLIVE_TOKEN=${token}\n`);
process.on('SIGTERM', () => {
  void svc.close().then(() => process.exit(0));
});
