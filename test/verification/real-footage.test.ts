import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { OPENCV_VTEST, prepareLoopVideo } from '../../drivers/simulator/loop-video.js';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { decodeImageFile } from '../../models/image.js';
import type { IncidentChange } from '../../src/bus.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { Verification } from '../../src/verification/verification-store.js';
import { OPENCV_DATA } from '../fixtures/models/opencv-samples.js';
import { api, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

type VerifiedIncident = Incident & { verification?: Verification };

const BURST = ['b1', 'b2', 'b3', 'b4'];
/** The best frame is kept for a person to look at (test-artifacts/ is ignored by git). */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'verification');
let dir: string;
let src: RtspSource;
let svc: TestService;

/**
 * Real footage over real RTSP, the built-in NanoDet (no detector configured), the service as it runs:
 * people walking (vtest.avi) on shop-1's front-door camera, a tree in the wind (tree.avi: motion,
 * nobody) at bank-2, and four more sites watching the people for a burst of alarms. The inference
 * queue is kept tiny so the burst overflows it.
 */
function cityYaml(): string {
  const city = YAML.parse(TEST_CITY_YAML);
  city.jurisdictions[0].children[1].children = [{ id: 'south-grid-1', name: 'South grid 1' }];
  for (const b of BURST) {
    city.sites.push({
      id: `site-${b}`,
      name: `Shop ${b}`,
      jurisdiction: 'south-grid-1',
      kind: 'shop',
      location: { lat: 39.3, lon: 112.4 },
    });
    city.panels.push({ id: `panel-${b}`, site: `site-${b}`, secret: `secret-panel-${b}` });
  }
  // Nobody talks on these panels: supervision must not confirm an alarm behind the test's back.
  for (const p of city.panels) p.heartbeatSeconds = 3600;
  city.panels[0].zones['1'].cameras = ['cam-door'];
  city.cameras = [
    { id: 'cam-door', site: 'shop-1', rtsp: src.url('people') },
    { id: 'cam-tree', site: 'bank-2', rtsp: src.url('tree') },
    ...BURST.map((b) => ({ id: `cam-${b}`, site: `site-${b}`, rtsp: src.url(b) })),
  ];
  city.models = {
    pool: { maxQueue: 1 },
    verification: { seconds: 3, fps: 2, width: 640, maxFramesPerCamera: 6, analysisSeconds: 120 },
  };
  return YAML.stringify(city);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-real-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const people = await prepareLoopVideo(
    { source: OPENCV_VTEST, width: 768, height: 576, fps: 10, seconds: 20 },
    dir,
  );
  const tree = await prepareLoopVideo(
    { source: join(OPENCV_DATA, 'tree.avi'), width: 320, height: 240, fps: 10, seconds: 10 },
    dir,
  );
  src = await startRtspSource({
    videos: {
      people: { file: people.file },
      tree: { file: tree.file },
      ...Object.fromEntries(BURST.map((b) => [b, { file: people.file }])),
    },
  });
  svc = await startTestService({ yaml: cityYaml() });
}, 180_000);

afterAll(async () => {
  await svc?.close();
  await src?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Raises an intrusion and resolves with the incident once its verification is annotated. */
async function intrusion(panel: string, site: string, zone?: string): Promise<VerifiedIncident> {
  const { svc: s } = svc;
  const annotated = new Promise<VerifiedIncident>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no verification at ${site} within 150 s`)), 150_000);
    const off = s.bus.on('incident:update', (inc: Incident, change: IncidentChange) => {
      if (inc.site !== site || change.kind !== 'annotation') return;
      clearTimeout(timer);
      off();
      resolve(inc as VerifiedIncident);
    });
  });
  const now = new Date().toISOString();
  await s.need('core').ingest({
    key: `panel:${panel}:intrusion-${Date.now()}`,
    source: 'panel',
    device: panel,
    site,
    type: 'intrusion',
    ...(zone ? { zone } : {}),
    ts: now,
    receivedAt: now,
  });
  return annotated;
}

describe('verification on real footage with the built-in detector', { timeout: 240_000 }, () => {
  it('people walking: person_seen, confirmed P1 through a person event, best frame with red boxes', async () => {
    const pushed = await intrusion('panel-1', 'shop-1', '1');
    const token = await svc.login('op-city', 'operator', 'city');
    const { body } = await api<VerifiedIncident>(`${svc.httpUrl}/api/incidents/${pushed.id}`, token);
    expect(body).toMatchObject({
      priority: 1,
      confirmed: true,
      state: 'new',
      confirmedBy: 'sequential-confirmation',
    });
    expect(body.verification).toMatchObject({ status: 'person_seen', camera: 'cam-door' });
    expect(body.verification!.score).toBeGreaterThanOrEqual(0.5);
    const cam = body.verification!.cameras![0]!;
    expect(cam.analysed).toBeGreaterThanOrEqual(1);
    expect(cam.detections.filter((d) => d.label === 'person').length).toBeGreaterThanOrEqual(1);
    // The person is an event of the camera in the incident, as the core joined it.
    expect(body.events.map((e) => [e.type, e.device])).toContainEqual(['person', 'cam-door']);

    // The best frame is the camera's picture with each person outlined in red.
    const res = await fetch(`${svc.httpUrl}${body.verification!.bestFrameUrl}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const file = join(dir, 'best.jpg');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    copyFileSync(file, join(ARTIFACTS, 'verification-best-frame.jpg'));
    const img = await decodeImageFile(file);
    expect([img.width, img.height]).toEqual([640, 480]);
    const person = cam.detections.find((d) => d.label === 'person')!;
    // Along the box's top edge (a 2-pixel line, softened by JPEG), most columns carry a red pixel.
    const [x1, y1, x2] = person.box.map(Math.floor) as [number, number, number, number];
    let red = 0;
    let edge = 0;
    for (let x = x1 + 3; x < x2 - 3; x++) {
      edge++;
      for (let y = Math.max(0, y1 - 1); y <= y1 + 3; y++) {
        const o = (y * img.width + x) * 3;
        if (img.data[o]! > 160 && img.data[o + 1]! < 90 && img.data[o + 2]! < 90) {
          red++;
          break;
        }
      }
    }
    expect(red / edge).toBeGreaterThan(0.6);
  });

  it('a tree in the wind, nobody there: motion_only, left unconfirmed at P2 and open', async () => {
    const pushed = await intrusion('panel-2', 'bank-2');
    const token = await svc.login('op-city', 'operator', 'city');
    const { body } = await api<VerifiedIncident>(`${svc.httpUrl}/api/incidents/${pushed.id}`, token);
    expect(body).toMatchObject({ priority: 2, confirmed: false, state: 'new' });
    expect(body.verification).toMatchObject({ status: 'motion_only', camera: 'cam-tree' });
    expect(body.verification!.cameras![0]).toMatchObject({ person: 0, detections: [] });
    expect(body.verification!.cameras![0]!.analysed).toBeGreaterThanOrEqual(1);
    expect(body.events.map((e) => e.type)).not.toContain('person');
  });

  it('a burst of alarms on a tiny inference queue: every one verified, the service answers throughout', async () => {
    const all = Promise.all(BURST.map((b) => intrusion(`panel-${b}`, `site-${b}`)));
    // While the four are sampled and analysed, the API keeps answering.
    let answered = 0;
    let done = false;
    void all.finally(() => {
      done = true;
    });
    while (!done) {
      const r = await fetch(`${svc.httpUrl}/api/health`);
      expect(r.status).toBe(200);
      answered++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered).toBeGreaterThan(1);
    const token = await svc.login('op-city', 'operator', 'city');
    for (const inc of await all) {
      const { body } = await api<VerifiedIncident>(`${svc.httpUrl}/api/incidents/${inc.id}`, token);
      expect(body.verification?.status).toBe('person_seen');
      expect(body).toMatchObject({ priority: 1, confirmed: true });
    }
    // How many frames the pool refused depends on how the four overlap; the figures are on /metrics.
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/sharpeyes_verification_frames_total\{outcome="analysed"\} [1-9]/);
    expect(metrics).toMatch(/sharpeyes_inference_rejected \d+/);
    expect(metrics).toMatch(/sharpeyes_inference_queue_depth \d+/);
  });
});
