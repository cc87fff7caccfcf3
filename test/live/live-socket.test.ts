import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsClient } from '../helpers/service.js';
import { ffmpegChildren, type LiveCity, openLive, startLiveCity } from './live-fixture.js';

let city: LiveCity;
let opToken: string;
let southToken: string;

beforeAll(async () => {
  city = await startLiveCity();
  opToken = await city.svc.login('op-city', 'operator', 'city');
  southToken = await city.svc.login('op-south', 'operator', 'south');
});
afterAll(async () => {
  await city?.close();
  expect(ffmpegChildren()).toEqual([]);
});

describe('WebSocket /live/{cameraId}', () => {
  it('sends the codec as JSON, then the init segment, then fragments from a keyframe, and audits the open', async () => {
    const c = await openLive(city.svc.httpUrl, `/live/cam-1?token=${opToken}&stream=sub&meta=1`);
    await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const init = c.texts[0] as { type: string; codec: string; camera: string; stream: string };
    expect(init).toMatchObject({ type: 'init', camera: 'cam-1', stream: 'sub' });
    expect(init.codec).toMatch(/^video\/mp4; codecs="avc1\.42[0-9a-f]{4}"$/);
    expect(c.binaries[0]?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(c.binaries[1]?.toString('latin1', 4, 8)).toBe('moof');
    const frags = c.texts.filter((t) => t.type === 'fragment');
    expect(frags[0]).toMatchObject({ keyframe: true, skipped: 0 });
    expect(typeof frags[0]?.wallclock).toBe('number');

    const entries = city.svc.svc.need('audit').list({ action: 'footage.live', target: 'camera:cam-1' });
    expect(entries[0]).toMatchObject({ actor: 'op-city', detail: { stream: 'sub' } });
    c.ws.close();
    await c.closed;
  });

  it('without meta=1 sends exactly the documented stream: one JSON codec message, then only binary', async () => {
    const c = await openLive(city.svc.httpUrl, `/live/cam-1?token=${opToken}`);
    await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    expect(c.texts).toHaveLength(1);
    expect(c.texts[0]).toMatchObject({ type: 'init', camera: 'cam-1', stream: 'sub' });
    expect(c.binaries[0]?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(c.binaries.slice(1).every((b) => b.toString('latin1', 4, 8) === 'moof')).toBe(true);
    c.ws.close();
    await c.closed;
  });

  it('shares one upstream between viewers and closes it after the last viewer leaves', async () => {
    const a = await openLive(city.svc.httpUrl, `/live/cam-2?token=${opToken}`);
    const b = await openLive(city.svc.httpUrl, `/live/cam-2?token=${opToken}`);
    await expect
      .poll(() => Math.min(a.binaries.length, b.binaries.length), { timeout: 15_000 })
      .toBeGreaterThan(2);
    // The recorder may hold the main stream; the viewers share the one sub upstream.
    const ups = city.hub.upstreams().filter((u) => u.camera === 'cam-2' && u.stream === 'sub');
    expect(ups).toHaveLength(1);
    expect(ups[0]?.consumers).toEqual(['live:op-city', 'live:op-city']);
    expect(city.hub.status('cam-2').sub).toBe('live');
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
    await expect
      .poll(
        () => city.hub.upstreams().find((u) => u.camera === 'cam-2' && u.stream === 'sub')?.consumers ?? [],
      )
      .toEqual([]);
    // The default linger keeps the upstream a few seconds for a tile that reopens, then closes it.
    await expect.poll(() => city.hub.status('cam-2').sub, { timeout: 10_000 }).toBe('idle');
  });

  it.each([
    ['no token', '/live/cam-1', 401],
    ['a bad token', '/live/cam-1?token=nope', 401],
    ['an unknown camera', '/live/cam-404?token=OP', 404],
    ['a camera out of scope', '/live/cam-1?token=SOUTH', 404],
    ['a bad stream name', '/live/cam-1?token=OP&stream=hd', 400],
  ])('refuses %s before the upgrade, audits nothing', async (_name, path, status) => {
    const before = city.svc.svc.need('audit').list({ action: 'footage.live' }).length;
    const url = path.replace('OP', opToken).replace('SOUTH', southToken);
    await expect(openLive(city.svc.httpUrl, url)).rejects.toMatchObject({ status });
    expect(city.svc.svc.need('audit').list({ action: 'footage.live' })).toHaveLength(before);
  });

  it('lets an operator of the south station watch a south camera', async () => {
    const c = await openLive(city.svc.httpUrl, `/live/cam-3?token=${southToken}&stream=main`);
    await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThan(1);
    expect(city.hub.status('cam-3').main).toBe('live');
    c.ws.close();
    await c.closed;
  });

  it('leaves socket.io upgrades on /socket.io/ working', async () => {
    const socket = await opsClient(city.svc.httpUrl, opToken);
    expect(socket.connected).toBe(true);
    socket.close();
  });
});
