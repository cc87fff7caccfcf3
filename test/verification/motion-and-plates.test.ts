import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Incident } from '../../src/core/incident-types.js';
import { renderPlate, rgbToPng } from '../fixtures/models/plate-images.js';
import { renderClip } from '../fixtures/models/videos.js';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

let dir: string;
let svc: TestService;
const opened: Incident[] = [];

/**
 * Motion on a camera watched for motion (a clip with someone walking), a still camera that stays
 * quiet, and two checkpoint cameras whose "snapshots" are rendered plates, one on the watchlist.
 */
function cityYaml(): string {
  const city = YAML.parse(TEST_CITY_YAML);
  city.cameras = [
    { id: 'cam-walk', site: 'shop-1', rtsp: join(dir, 'walk.mp4') },
    { id: 'cam-quiet', site: 'shop-1', rtsp: join(dir, 'quiet.mp4') },
    { id: 'gate-1', site: 'bank-2', rtsp: join(dir, 'plate-watch.png') },
    { id: 'gate-2', site: 'shop-1', rtsp: join(dir, 'plate-other.png') },
  ];
  city.models = {
    motion: {
      fps: 4,
      cameras: { 'cam-walk': { sensitivity: 60, minFrames: 1 }, 'cam-quiet': { sensitivity: 60 } },
    },
    plates: {
      cameras: ['gate-1', 'gate-2'],
      intervalSeconds: 3600,
      watchlist: [{ plate: '京A·12345', note: 'stolen' }],
    },
  };
  return YAML.stringify(city);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-motion-'));
  renderClip(join(dir, 'walk.mp4'), { seconds: 3, moving: true });
  renderClip(join(dir, 'quiet.mp4'), { seconds: 3, moving: false });
  const style = { font: '"Noto Sans CJK SC"', angle: 0, blur: 0, width: 300 };
  writeFileSync(join(dir, 'plate-watch.png'), rgbToPng(renderPlate({ ...style, text: '京A12345' })));
  writeFileSync(join(dir, 'plate-other.png'), rgbToPng(renderPlate({ ...style, text: '粤BD8K27' })));
  svc = await startTestService({ yaml: cityYaml() });
  svc.svc.bus.on('incident:new', (inc) => opened.push(inc));
});

afterAll(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('motion maintainer', () => {
  it('emits a motion event (source model) for the walking camera and none for the still one', async () => {
    const events = svc.svc.need('store').events;
    await expect
      .poll(async () => (await events.listForSite('shop-1', 100)).filter((e) => e.type === 'motion'), {
        timeout: 15_000,
        interval: 250,
      })
      .toContainEqual(expect.objectContaining({ source: 'model', device: 'cam-walk', type: 'motion' }));
    const motion = (await events.listForSite('shop-1', 100)).filter((e) => e.type === 'motion');
    // One event per cooldown (30 s) however long the walking goes on; the still camera is quiet.
    expect(motion.map((e) => e.device)).toEqual(['cam-walk']);
    expect(motion[0]?.detail?.['score']).toBeGreaterThan(0);
  });
});

describe('plate maintainer', () => {
  it('stores each plate read as a plate event with text and confidence', async () => {
    const events = svc.svc.need('store').events;
    const plateOf = async (site: string) =>
      (await events.listForSite(site, 100))
        .filter((e) => e.type === 'plate')
        .map((e) => [e.device, e.detail?.['text']]);
    await expect
      .poll(() => plateOf('shop-1'), { timeout: 15_000, interval: 250 })
      .toEqual([['gate-2', '粤BD8K27']]);
    await expect
      .poll(() => plateOf('bank-2'), { timeout: 15_000, interval: 250 })
      .toEqual([['gate-1', '京A12345']]);
    const [ev] = (await events.listForSite('bank-2', 100)).filter((e) => e.type === 'plate');
    expect(ev?.detail).toMatchObject({ watchlist: true, note: 'stolen' });
    expect(ev?.detail?.['confidence']).toBeGreaterThan(0.8);
  });

  it('raises an incident for a watchlist plate only', async () => {
    await expect
      .poll(() => opened.filter((i) => i.rule === 'plate-watchlist').map((i) => i.site))
      .toEqual(['bank-2']);
    const inc = opened.find((i) => i.rule === 'plate-watchlist')!;
    expect(inc).toMatchObject({
      priority: 2,
      state: 'new',
      kind: 'alarm',
      confirmed: true,
      jurisdiction: 'south',
    });
    expect(inc.events.map((e) => [e.type, e.device])).toEqual([['plate', 'gate-1']]);
    expect(opened.filter((i) => i.site === 'shop-1' && i.rule === 'plate-watchlist')).toEqual([]);
  });
});
