import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MediaUrls } from '../../src/auth/media-urls.js';
import { signedPath } from '../helpers/media.js';
import { api, opsClient } from '../helpers/service.js';
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

const signed = (token: string, path: string) => signedPath(city.svc.httpUrl, token, path);
const audit = () => city.svc.svc.need('audit');

describe('WebSocket /live/{cameraId}', () => {
  it('sends the codec as JSON, then the init segment, then fragments from a keyframe, and audits the open', async () => {
    const c = await openLive(city.svc.httpUrl, await signed(opToken, '/live/cam-1?stream=sub&meta=1'));
    try {
      await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    } catch (err) {
      // Seen twice in 33 runs on 2026-12-06 (every camera of the file without media), not since: the
      // next time, say what the camera simulator and the hub were doing.
      throw new Error(
        `${(err as Error).message}\nsource: ${JSON.stringify(city.source.status())}\nsocket: ${JSON.stringify(c.texts)}\nhub: ${JSON.stringify(city.hub.status('cam-1'))} ${JSON.stringify(city.hub.upstreams())}`,
      );
    }
    const init = c.texts[0] as { type: string; codec: string; camera: string; stream: string };
    expect(init).toMatchObject({ type: 'init', camera: 'cam-1', stream: 'sub' });
    expect(init.codec).toMatch(/^video\/mp4; codecs="avc1\.42[0-9a-f]{4}"$/);
    expect(c.binaries[0]?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(c.binaries[1]?.toString('latin1', 4, 8)).toBe('moof');
    const frags = c.texts.filter((t) => t.type === 'fragment');
    expect(frags[0]).toMatchObject({ keyframe: true, skipped: 0 });
    expect(typeof frags[0]?.wallclock).toBe('number');

    const entries = await audit().list({ action: 'footage.live', target: 'camera:cam-1' });
    expect(entries[0]).toMatchObject({ actor: 'op-city', detail: { stream: 'sub', via: 'media' } });
    c.ws.close();
    await c.closed;
  });

  it('without meta=1 sends exactly the documented stream: one JSON codec message, then only binary', async () => {
    const c = await openLive(city.svc.httpUrl, await signed(opToken, '/live/cam-1'));
    await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    expect(c.texts).toHaveLength(1);
    expect(c.texts[0]).toMatchObject({ type: 'init', camera: 'cam-1', stream: 'sub' });
    expect(c.binaries[0]?.toString('latin1', 4, 8)).toBe('ftyp');
    expect(c.binaries.slice(1).every((b) => b.toString('latin1', 4, 8) === 'moof')).toBe(true);
    c.ws.close();
    await c.closed;
  });

  it('a tool that sets headers opens it with the session token in Authorization (no token in the URL)', async () => {
    const ws = new WebSocket(`${city.svc.httpUrl.replace(/^http/, 'ws')}/live/cam-1?stream=sub`, {
      headers: { authorization: `Bearer ${opToken}` },
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'init', camera: 'cam-1' });
    ws.close();
  });

  it('shares one upstream between viewers and closes it after the last viewer leaves', async () => {
    const a = await openLive(city.svc.httpUrl, await signed(opToken, '/live/cam-2'));
    const b = await openLive(city.svc.httpUrl, await signed(opToken, '/live/cam-2'));
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

  /** A media URL signed with the service's key but a clock two minutes behind: expired. */
  const expired = (path: string, ref: string) => {
    const row = city.svc.svc
      .need('store')
      .db.prepare("SELECT secret FROM auth_keys WHERE name = 'media-url'")
      .get() as {
      secret: string;
    };
    const old = new MediaUrls(Buffer.from(row.secret, 'base64url'), 60, () => Date.now() - 120_000);
    return old.sign(ref, path).url;
  };
  const refOf = async (token: string) =>
    (await city.svc.svc.need('auth').resolveSession(token))?.ref ?? 'no-session';

  it.each([
    ['no token', async () => '/live/cam-1', 401, 'unauthenticated'],
    ['a session token in the URL', async () => `/live/cam-1?token=${opToken}`, 401, 'token_in_url'],
    ['a made-up media token', async () => '/live/cam-1?token=m1.nope', 401, 'media_url_malformed'],
    [
      'a forged signature',
      async () => (await signed(opToken, '/live/cam-1')).replace(/.{6}$/, 'AAAAAA'),
      401,
      'media_url_invalid',
    ],
    [
      'a URL signed for another camera',
      async () => (await signed(opToken, '/live/cam-2')).replace('/live/cam-2', '/live/cam-1'),
      401,
      'media_url_invalid',
    ],
    [
      'a URL signed for the sub stream asking for main',
      async () => `${await signed(opToken, '/live/cam-1?stream=sub')}&stream=main`.replace('stream=sub&', ''),
      401,
      'media_url_invalid',
    ],
    ['an expired URL', async () => expired('/live/cam-1', await refOf(opToken)), 401, 'media_url_expired'],
    ['an unknown camera', async () => signed(opToken, '/live/cam-404'), 404, 'not_found'],
    ['a camera out of scope', async () => signed(southToken, '/live/cam-1'), 404, 'not_found'],
    ['a bad stream name', async () => signed(opToken, '/live/cam-1?stream=hd'), 400, 'bad_request'],
  ])('refuses %s before the upgrade, serves no footage', async (_name, path, status, code) => {
    const before = (await audit().list({ action: 'footage.live' })).length;
    const err = await openLive(city.svc.httpUrl, await path()).then(
      () => undefined,
      (e: { status: number }) => e,
    );
    expect(err?.status).toBe(status);
    expect(await audit().list({ action: 'footage.live' })).toHaveLength(before);
    expect(
      await city.svc.svc.metrics.registry.getSingleMetricAsString('sharpeyes_live_rejected_total'),
    ).toContain(`reason="${code}"`);
  });

  it.each([
    ['/live/x/../cam-1', 401],
    ['/live/cam-1/../cam-1', 401],
    // Not a /live path once normalised: nobody takes the upgrade and the connection is dropped (0).
    ['/live/%2e%2e/cam-1', 0],
  ])('a raw path trick %s (sent as is, not normalised by a client) is refused', async (trick, status) => {
    const good = await signed(opToken, '/live/cam-1');
    const path = good.replace('/live/cam-1', trick);
    const u = new URL(city.svc.httpUrl);
    const got = await new Promise<number>((resolve) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        path,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve(101);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    expect(got).toBe(status);
  });

  it('an intruder of the south station trying a north camera is in the audit log', async () => {
    await openLive(city.svc.httpUrl, await signed(southToken, '/live/cam-2')).catch(() => undefined);
    const rows = await audit().list({ action: 'access.denied', target: 'camera:cam-2' });
    expect(rows[0]).toMatchObject({ actor: 'op-south', detail: { status: 404, path: '/live/cam-2' } });
  });

  it('lets an operator of the south station watch a south camera', async () => {
    const c = await openLive(city.svc.httpUrl, await signed(southToken, '/live/cam-3?stream=main'));
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

describe('a viewer closes when its session ends', () => {
  it.each([
    [
      'logout',
      async (token: string) => {
        await api(`${city.svc.httpUrl}/api/auth/logout`, token, { method: 'POST' });
      },
    ],
    [
      'a disabled user',
      async (_token: string, user: string) => {
        const admin = await city.svc.login('admin-city', 'admin', 'city');
        await api(`${city.svc.httpUrl}/api/users/${user}/disable`, admin, { method: 'POST', body: '{}' });
      },
    ],
    [
      'sessions revoked from another node (the store only)',
      async (_token: string, user: string) => {
        // No in-process signal: what another node or `sharpeyes user revoke` does. The re-check finds it.
        const db = city.svc.svc.need('store').db;
        db.prepare('DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)').run(
          user,
        );
      },
    ],
  ])('%s: the live socket closes with 4401 within seconds', async (_what, end) => {
    const user = `viewer-${Math.random().toString(36).slice(2, 8)}`;
    const token = await city.svc.login(user, 'operator', 'city');
    const c = await openLive(city.svc.httpUrl, await signed(token, '/live/cam-3'));
    await expect.poll(() => c.binaries.length, { timeout: 15_000 }).toBeGreaterThan(0);
    await end(token, user);
    const code = await Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(-1), 8_000))]);
    expect(code).toBe(4401);
    // And it cannot open again with the ended session.
    await expect(signed(token, '/live/cam-3')).rejects.toThrow(/401/);
  });
});
