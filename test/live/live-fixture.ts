import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { StreamHub } from '../../streams/upstream-hub.js';
import { startTestService, type TestService } from '../helpers/service.js';

/** The test city with three cameras on a simulated RTSP source; panel-1 zone 1 is watched by cam-2. */
export function liveCityYaml(source: RtspSource): string {
  return `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: City 110
    children:
      - id: north
        name: North station
        children: [{ id: north-grid-1, name: North grid 1 }]
      - id: south
        name: South station
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north-grid-1, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 30
    zones: { "1": { name: front door, cameras: [cam-2], preset: 3 }, "2": { name: back door } }
  - { id: panel-2, site: bank-2, secret: secret-panel-2, heartbeatSeconds: 30 }
cameras:
  - { id: cam-1, name: Shop till, site: shop-1, rtsp: "${source.url('main')}" }
  - { id: cam-2, name: Shop door, site: shop-1, rtsp: "${source.url('sub')}" }
  - { id: cam-3, name: Bank lobby, site: bank-2, rtsp: "${source.url('sub')}" }
`;
}

export interface LiveCity {
  source: RtspSource;
  svc: TestService;
  hub: StreamHub;
  close(): Promise<void>;
}

export async function startLiveCity(): Promise<LiveCity> {
  const source = await startRtspSource({ width: 320, height: 240, fps: 15 });
  try {
    const svc = await startTestService({ yaml: liveCityYaml(source) });
    const hub = svc.svc.part<StreamHub>('streams');
    return {
      source,
      svc,
      hub,
      async close() {
        await svc.close();
        await source.stop();
      },
    };
  } catch (err) {
    await source.stop();
    throw err;
  }
}

/** ffmpeg processes that are children of this test process. */
export function ffmpegChildren(): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l.trim().endsWith('ffmpeg'))
      .map((l) => Number.parseInt(l, 10));
  } catch {
    return []; // ps exits 1 when there are no children at all
  }
}

export interface LiveClient {
  ws: WebSocket;
  texts: Record<string, unknown>[];
  binaries: Buffer[];
  closed: Promise<number>;
}

/** Opens a live socket; resolves once open, or rejects with the HTTP status of a refused upgrade. */
export function openLive(httpUrl: string, path: string): Promise<LiveClient> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}${path}`);
  const client: LiveClient = {
    ws,
    texts: [],
    binaries: [],
    closed: new Promise((resolve) => ws.once('close', (code) => resolve(code))),
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) client.binaries.push(data as Buffer);
    else client.texts.push(JSON.parse(String(data)) as Record<string, unknown>);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
