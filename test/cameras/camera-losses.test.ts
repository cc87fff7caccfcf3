import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { HealthChecks } from '../../src/api/health-routes.js';
import { CameraLosses } from '../../src/cameras/camera-losses.js';
import { CameraStateStore } from '../../src/cameras/camera-state-store.js';
import { JurisdictionTree } from '../../src/core/jurisdictions.js';
import type { SystemStatus } from '../../src/health/system-watch.js';
import { stopSharedPostgres, storeBackends, type TestStore } from '../helpers/postgres.js';
import { startTestService, systemDesk, type TestService } from '../helpers/service.js';

/** Each database; SQLite also as the service runs it (this node the only writer: losses in memory). */
const BACKENDS: [string, () => Promise<TestStore>, boolean][] = storeBackends('camlosses').flatMap(
  ([name, open]): [string, () => Promise<TestStore>, boolean][] =>
    name === 'sqlite'
      ? [
          [name, open, false],
          ['sqlite, losses kept in memory', open, true],
        ]
      : [[name, open, false]],
);
afterAll(() => stopSharedPostgres(), 60_000);

const at = (minute: number, second = 0) =>
  new Date(Date.parse('2026-12-06T08:00:00.000Z') + minute * 60_000 + second * 1000).toISOString();

describe.each(BACKENDS)('cameras lost together on %s', (_name, open, onlyWriter) => {
  let db: Awaited<ReturnType<typeof open>>;
  let states: CameraStateStore;
  beforeEach(async () => {
    db = await open();
    states = new CameraStateStore(db.store.k, { onlyWriter });
  }, 60_000);
  afterEach(async () => db?.cleanup());

  /** Twenty cameras in the config; the rule of the defaults but five at least. */
  const cameras = Array.from({ length: 20 }, (_, i) => `cam-${i + 1}`);
  // cam-3 to cam-7 behind one street's switch (north-grid-1); the rest in the south.
  const tree = new JurisdictionTree([
    {
      id: 'city',
      name: 'City',
      children: [
        {
          id: 'north',
          name: 'North',
          children: [{ id: 'north-grid-1', name: 'North grid 1', children: [] }],
        },
        { id: 'south', name: 'South', children: [] },
      ],
    },
  ] as ConstructorParameters<typeof JurisdictionTree>[0]);
  const placeOf = (c: string) =>
    ['cam-3', 'cam-4', 'cam-5', 'cam-6', 'cam-7'].includes(c) ? 'north-grid-1' : 'south';
  const losses = (judges = true) =>
    new CameraLosses({
      states,
      cameras,
      windowMs: 10 * 60_000,
      rule: { least: 5, share: 0.05, badShare: 0.25 },
      judges: () => judges,
      placeOf,
      tree,
    });

  it('a switch going down: counted by the last video of each, never-seen and removed cameras left out; the restore ends it', async () => {
    // Two lost an hour before, each on its own.
    await states.setLoss('cam-1', at(-60, 10), true, at(-60));
    await states.setLoss('cam-2', at(-58, 10), true, at(-58));
    // Six go dark within two and a half minutes (the loss is raised lossSeconds after the last video).
    for (let i = 0; i < 6; i++)
      await states.setLoss(`cam-${i + 3}`, at(0, i * 30 + 10), false, at(0, i * 30));
    // Two never delivered video (a wrong password): lost, not together.
    await states.setLoss('cam-9', at(0, 20), true, null);
    await states.setLoss('cam-10', at(0, 40), true);
    // A camera since removed from the config left its row.
    await states.setLoss('cam-99', at(0, 50), true, at(0, 40));

    expect(await losses().counts()).toEqual({
      lost: 10,
      lostTogether: 6,
      lostTogetherLevel: 'bad', // 6 of 20 is over a quarter
      lostTogetherFrom: at(0),
      lostTogetherTo: at(2, 30),
      // Five of the six in north-grid-1 (cam-8 is in the south): over 80 %, so that cell.
      lostTogetherWhere: 'north-grid-1',
    });
    // Another node of the city says how many are lost, and judges nothing.
    expect(await losses(false).counts()).toEqual({ lost: 10 });

    // Marking a loss committed keeps when the camera last had video.
    for (let i = 0; i < 6; i++) await states.setLoss(`cam-${i + 3}`, at(0, i * 30 + 10), true);
    expect((await states.loss('cam-3'))?.lastFrameAt).toBe(at(0));
    expect((await losses().counts()).lostTogether).toBe(6);

    // Two come back: four together are under the rule's five, no longer a trouble.
    await states.setLoss('cam-3', null, false);
    await states.setLoss('cam-4', null, false);
    expect(await states.loss('cam-3')).toBeUndefined();
    const after = await losses().counts();
    expect(after).toMatchObject({ lost: 8, lostTogether: 4 });
    expect(after.lostTogetherLevel).toBeUndefined();

    // cam-5's loss raised again by a watchdog that never had its video (a restart): the old last video goes.
    expect((await states.loss('cam-5'))?.lastFrameAt).toBe(at(1));
    await states.setLoss('cam-5', at(5), false, null);
    expect((await states.loss('cam-5'))?.lastFrameAt).toBeUndefined();
  });

  it('nothing lost: nothing together', async () => {
    expect(await losses().counts()).toEqual({ lost: 0, lostTogether: 0 });
  });
});

/**
 * The real thing: five cameras of five shops on two GStreamer RTSP sources (two switches), one more
 * whose address is wrong. A switch going down darkens its cameras within seconds of one another.
 */
describe('cameras lost together in a running service', () => {
  let a: RtspSource;
  let b: RtspSource;
  let svc: TestService;
  let operator: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const small = { width: 160, height: 120, fps: 10, paths: ['main'] };
    a = await startRtspSource(small);
    b = await startRtspSource(small);
    const cams = [
      ['cam-a1', a],
      ['cam-a2', a],
      ['cam-a3', a],
      ['cam-b1', b],
      ['cam-b2', b],
    ] as const;
    const sites = [...cams.map(([id]) => id), 'cam-wrong'].map(
      (id) =>
        `  - { id: shop-${id}, name: Shop ${id}, jurisdiction: north, kind: shop, location: { lat: 39.33, lon: 112.43 } }`,
    );
    svc = await startTestService({
      yaml: `http: { host: 127.0.0.1, port: 0 }
mqtt: { embedded: { port: 0, host: 127.0.0.1 } }
storage: { systemWatchSeconds: 1, camerasLostTogether: { cameras: 2, share: 0.3, badShare: 0.6 } }
jurisdictions:
  - { id: city, name: City 110, children: [{ id: north, name: North station }] }
sites:
${sites.join('\n')}
cameras:
${cams.map(([id, src]) => `  - { id: ${id}, site: shop-${id}, videoLossSeconds: 2, rtsp: "${src.url('main')}" }`).join('\n')}
  - { id: cam-wrong, site: shop-cam-wrong, videoLossSeconds: 2, rtsp: "rtsp://127.0.0.1:1/nothing-here" }
models: { verification: { enabled: false } }
`,
    });
    operator = await svc.login('cam-operator', 'operator', 'north');
  }, 60_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await svc?.close();
    await a?.stop();
    await b?.stop();
  });

  const health = async () =>
    ((await (await fetch(`${svc.httpUrl}/api/health`)).json()) as { checks: HealthChecks }).checks.cameras;
  const camerasTrouble = (heard: SystemStatus[]) => heard.at(-1)?.troubles.find((t) => t.kind === 'cameras');

  it('one switch down is worth a look, both a problem; the wrong address is never counted; each site keeps its ticket; it ends when they return', async () => {
    // Every camera with video but the wrong one, which is lost (on its own) after two seconds.
    await expect
      .poll(health, { timeout: 30_000, interval: 250 })
      .toMatchObject({ cameras: 6, up: 5, lost: 1 });
    const d = systemDesk(svc.httpUrl, operator);
    sockets.push(d.socket);
    await d.connected;
    await expect.poll(() => d.heard.at(-1)?.level, { timeout: 10_000 }).toBe('ok');
    expect((await health())?.lostTogether).toBe(0);

    // Switch A goes down: three of six cameras lose video together (half: over 0.3, under 0.6).
    const droppedAt = new Date().toISOString();
    await a.drop();
    await expect.poll(() => camerasTrouble(d.heard)?.figures['lost'], { timeout: 20_000 }).toBe(3);
    expect(camerasTrouble(d.heard)?.level).toBe('warn');
    expect(camerasTrouble(d.heard)?.figures).toMatchObject({ lost: 3, of: 6, lostAll: 4 });
    const since = camerasTrouble(d.heard)!.since;

    // Switch B too: five of six.
    await b.drop();
    await expect.poll(() => camerasTrouble(d.heard)?.figures['lost'], { timeout: 20_000 }).toBe(5);
    const trouble = camerasTrouble(d.heard)!;
    expect(trouble.level).toBe('bad');
    expect(trouble.figures).toMatchObject({ lost: 5, of: 6, lostAll: 6 });
    expect(trouble.since).toBe(since);
    expect(trouble.figures['spanSeconds']).toBeGreaterThanOrEqual(0);
    expect(trouble.figures['spanSeconds']).toBeLessThan(60);
    expect(await health()).toMatchObject({
      cameras: 6,
      up: 0,
      lost: 6,
      lostTogether: 5,
      lostTogetherLevel: 'bad',
    });

    // Each site has its own video-loss ticket beside the one trouble of the receiver.
    const store = svc.svc.need('store');
    for (const id of ['cam-a1', 'cam-a2', 'cam-a3', 'cam-b1', 'cam-b2', 'cam-wrong'])
      await expect
        .poll(async () => (await store.incidents.findOpen(`shop-${id}`, 'maintenance'))?.rule, {
          timeout: 10_000,
        })
        .toBe('trouble-ticket');

    // A dark camera stays lost: no restore from the stream hub's last pictures (before, each camera
    // flapped between loss and restore every few seconds once its watchdog re-subscribed).
    await new Promise((r) => setTimeout(r, 5000));
    const afterDrop = store.db
      .prepare('SELECT device, type FROM events WHERE received_at >= ? ORDER BY rowid')
      .all(droppedAt) as { device: string; type: string }[];
    expect(afterDrop.filter((e) => e.type === 'video_restore')).toEqual([]);
    expect(afterDrop.filter((e) => e.device === 'cam-a1').map((e) => e.type)).toEqual(['video_loss']);

    // Both switches back: the cameras restore, the trouble ends; the wrong one stays lost on its own.
    await a.resume();
    await b.resume();
    await expect.poll(() => camerasTrouble(d.heard), { timeout: 45_000 }).toBeUndefined();
    expect(d.heard.at(-1)?.level).toBe('ok');
    await expect.poll(health, { timeout: 30_000 }).toMatchObject({ up: 5, lost: 1, lostTogether: 0 });
    await expect
      .poll(async () => (await store.incidents.findOpen('shop-cam-a1', 'maintenance'))?.rule, {
        timeout: 10_000,
      })
      .toBeUndefined();
  }, 150_000);
});
