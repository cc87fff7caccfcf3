import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { silentLogger } from '../../src/log.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { startTestService, type TestService } from '../helpers/service.js';

/** Two cameras on the simulated RTSP source: cam-1 at shop-1 (north, zone 1 of panel-1), cam-2 at bank-2 (south). */
export function recordingCityYaml(rtsp: RtspSource): string {
  return `
http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
jurisdictions:
  - id: city
    name: City 110
    children:
      - { id: north, name: North station }
      - { id: south, name: South station }
sites:
  - { id: shop-1, name: Shop One, jurisdiction: north, kind: shop, location: { lat: 39.33, lon: 112.43 } }
  - { id: bank-2, name: Bank Two, jurisdiction: south, kind: bank, location: { lat: 39.32, lon: 112.44 } }
panels:
  - id: panel-1
    site: shop-1
    secret: secret-panel-1
    heartbeatSeconds: 30
    zones: { "1": { name: front door, cameras: [cam-1] } }
cameras:
  - { id: cam-1, name: 店门口, site: shop-1, rtsp: "${rtsp.url('cam1')}", preroll: 2, postroll: 1 }
  - { id: cam-2, site: bank-2, rtsp: "${rtsp.url('cam2')}", preroll: 2, postroll: 1 }
recording: { segmentSeconds: 1, maxExportSeconds: 3600 }
`;
}

export async function startRecordingCity(): Promise<{
  rtsp: RtspSource;
  svc: TestService;
  rec: RecordingPart;
}> {
  const rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
  try {
    const svc = await startTestService({ yaml: recordingCityYaml(rtsp) });
    return { rtsp, svc, rec: svc.svc.part<RecordingPart>('recording') };
  } catch (err) {
    await rtsp.stop();
    throw err;
  }
}

/** Polls until `camera` has at least `n` segments indexed. */
export async function waitForSegments(rec: RecordingPart, camera: string, n: number, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const segs = await rec.index.segments(camera, 0, Number.MAX_SAFE_INTEGER);
    if (segs.length >= n) return segs;
    if (Date.now() > until) throw new Error(`${camera} has ${segs.length} segments, wanted ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A real retention over `storage` whose byte cap (one byte) wants every segment it may take: what a
 * lock or a hold keeps is all that stays. Each `runOnce()` is one pass (a bounded batch).
 */
export function oneByteRetention(index: SegmentIndex, storage: string): RetentionMaintainer {
  return new RetentionMaintainer({
    index,
    paths: [{ path: storage, maxBytes: 1 }],
    retentionDays: 3650,
    minFreeHours: 0,
    log: silentLogger,
  });
}
