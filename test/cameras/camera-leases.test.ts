import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraRegistry } from '../../src/cameras/camera-registry.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { createDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

const CAMERAS = ['cam-a', 'cam-b', 'cam-c', 'cam-d'];
const LOSS_SECONDS = 2;

/** What one node runs for a camera: its watchdog and its recorder. */
function runs(node: TestService, camera: string): { watchdog: boolean; recorder: boolean } {
  const reg = node.svc.part<CameraRegistry>('cameras');
  const state = reg.healthOf(camera)?.status().state;
  const rec = node.svc.part<RecordingPart>('recording').recorder;
  return {
    watchdog: state !== undefined && state !== 'stopped',
    recorder: rec?.camera(camera) !== undefined,
  };
}

/**
 * Issue 16: on a city of several nodes each camera's watchdog (video loss) and recorder run on one
 * node, the holder of its camera lease, and move with it. Before, every node watched every camera and
 * an unreachable camera raised one video loss per node.
 */
describe('cameras on two nodes: one node per camera', () => {
  let pg: TestPostgres;
  let a: TestService | undefined;
  let b: TestService;

  beforeAll(async () => {
    pg = await startPostgres();
    const url = await createDatabase(pg, 'city');
    const cams = CAMERAS.map(
      (c, i) =>
        `  - { id: ${c}, site: ${i % 2 ? 'bank-2' : 'shop-1'}, rtsp: "rtsp://127.0.0.1:9/${c}", videoLossSeconds: ${LOSS_SECONDS} }`,
    ).join('\n');
    const yaml = (node: string) => `${TEST_CITY_YAML}
cameras:
${cams}
storage: { database: { kind: postgres, url: "${url}", poolSize: 4 } }
cluster: { nodeId: ${node}, leaseSeconds: 2 }
`;
    a = await startTestService({ yaml: yaml('node-a') });
    b = await startTestService({ yaml: yaml('node-b') });
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await pg?.stop();
  });

  const lossEvents = async () =>
    (
      await b.svc
        .need('store')
        .k.selectFrom('events')
        .select(['device'])
        .where('type', '=', 'video_loss')
        .execute()
    )
      .map((r) => r.device)
      .sort();

  it('each camera is watched and recorded by its lease holder only; its loss is raised once, also after a handover', async () => {
    const nodes = () => [a!, b];
    const owner = (camera: string) =>
      nodes().filter((n) => n.svc.part<Cluster>('cluster').ownsCamera(camera));
    // Both nodes have joined and the cameras are shared out, one holder each.
    await expect
      .poll(() => CAMERAS.map((c) => owner(c).length), { timeout: 20_000 })
      .toEqual(CAMERAS.map(() => 1));
    await expect
      .poll(() => new Set(CAMERAS.map((c) => owner(c)[0]!.svc.part<Cluster>('cluster').nodeId)).size, {
        timeout: 20_000,
      })
      .toBe(2);
    for (const c of CAMERAS) {
      await expect
        .poll(() => nodes().map((n) => runs(n, c)), { timeout: 10_000 })
        .toEqual(
          nodes().map((n) =>
            owner(c).includes(n) ? { watchdog: true, recorder: true } : { watchdog: false, recorder: false },
          ),
        );
    }

    // The cameras are unreachable: each raises its video loss once, from its one watchdog.
    await expect.poll(lossEvents, { timeout: 20_000 }).toEqual(CAMERAS);
    await new Promise((r) => setTimeout(r, LOSS_SECONDS * 2000));
    expect(await lossEvents()).toEqual(CAMERAS);

    // Node A leaves: B takes its cameras within the lease time and goes on from the stored loss
    // (no second video loss for a camera that was dark all along).
    await a!.close();
    a = undefined;
    await expect
      .poll(() => CAMERAS.map((c) => runs(b, c)), { timeout: 15_000 })
      .toEqual(CAMERAS.map(() => ({ watchdog: true, recorder: true })));
    await new Promise((r) => setTimeout(r, LOSS_SECONDS * 2000));
    expect(await lossEvents()).toEqual(CAMERAS);
  }, 90_000);
});
