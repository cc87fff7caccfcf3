import { mkdirSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import type { Segment } from '../../streams/segment-index.js';
import { resolveInside } from '../../streams/segment-paths.js';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { oneByteRetention } from './recording-fixture.js';

const iso = (ms: number) => new Date(ms).toISOString();
const S = 1000;

interface HoldBody {
  id: string;
  cameras: string[];
  from: string;
  to: string;
  expiresAt: string;
  renewSeconds: number;
}

/**
 * The console player's hold over HTTP (`/api/recordings/holds`), against a real retention pass:
 * eight 4 s segments of cam-shop and of cam-bank, each a file on disk.
 */
describe('/api/recordings/holds: the footage an investigator has open in the player', () => {
  let svc: TestService;
  let rec: RecordingPart;
  let storage: string;
  let base: number;
  let inv: string;

  const seed = async (camera: string, from: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const startMs = from + i * 4 * S;
      const path = `${camera}/seed/${startMs}.mp4`;
      const file = resolveInside(storage, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, Buffer.alloc(1000));
      await rec.index.addSegment({
        camera,
        startMs,
        endMs: startMs + 4 * S,
        bytes: 1000,
        storage,
        path,
        keyframe: true,
        codec: 'avc1.42E01E',
      });
    }
  };
  const all = (camera: string) => rec.index.segments(camera, 0, Number.MAX_SAFE_INTEGER);
  /** A retention pass whose byte cap (one byte) wants every segment it may take. */
  const purge = () => oneByteRetention(rec.index, storage).runOnce();
  const starts = (segs: Segment[]) => segs.map((s) => (s.startMs - base) / S);

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${API_CITY_YAML}\nrecording: { enabled: false }\n` });
    rec = svc.svc.part<RecordingPart>('recording');
    storage = `${svc.dataDir}/recordings`;
    base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    inv = await svc.login('inv-city', 'investigator', 'city');
  }, 60_000);
  afterAll(async () => svc?.close());

  it('retention passes over the held window of every camera, follows it as it moves, and takes it once released', async () => {
    await seed('cam-shop', base, 8);
    await seed('cam-bank', base, 8);
    const placed = await api<HoldBody>(`${svc.httpUrl}/api/recordings/holds`, inv, {
      method: 'POST',
      body: JSON.stringify({ cameras: ['cam-shop', 'cam-bank'], from: iso(base), to: iso(base + 8 * S) }),
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      cameras: ['cam-shop', 'cam-bank'],
      from: iso(base),
      to: iso(base + 8 * S),
      renewSeconds: 30,
    });
    expect(Date.parse(placed.body.expiresAt) - Date.now()).toBeGreaterThan(80_000);

    await purge();
    // The two held segments of each camera are there, files and all; the rest went for the cap.
    expect(starts(await all('cam-shop'))).toEqual([0, 4]);
    expect(starts(await all('cam-bank'))).toEqual([0, 4]);

    // The investigator plays on: the page moves the hold with the playhead (nothing newer to hold
    // here, so the old window is simply let go).
    await seed('cam-shop', base + 32 * S, 2);
    const moved = await api<HoldBody>(`${svc.httpUrl}/api/recordings/holds/${placed.body.id}`, inv, {
      method: 'PUT',
      body: JSON.stringify({ from: iso(base + 32 * S), to: iso(base + 40 * S) }),
    });
    expect(moved.status).toBe(200);
    await purge();
    expect(starts(await all('cam-shop'))).toEqual([32, 36]);
    expect(await all('cam-bank')).toEqual([]);

    // The view closes: the hold goes, and so does its footage at the next pass.
    const del = await fetch(`${svc.httpUrl}/api/recordings/holds/${placed.body.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${inv}` },
    });
    expect(del.status).toBe(204);
    await purge();
    expect(await all('cam-shop')).toEqual([]);
    // Renewing it now says it is gone, so the page places a new one and reads the index again.
    const late = await api<{ error: { code: string } }>(
      `${svc.httpUrl}/api/recordings/holds/${placed.body.id}`,
      inv,
      { method: 'PUT', body: '{}' },
    );
    expect(late.status).toBe(404);
    expect(late.body.error.code).toBe('hold_gone');
  });

  it('holds only footage the user may view, a window of at most two hours, four holds a user', async () => {
    const south = await svc.login('inv-south', 'investigator', 'south');
    const place = (token: string, cameras: string[], from = base, to = base + 60_000) =>
      api<{ error?: { code: string }; id?: string }>(`${svc.httpUrl}/api/recordings/holds`, token, {
        method: 'POST',
        body: JSON.stringify({ cameras, from: iso(from), to: iso(to) }),
      });
    // cam-shop is at shop-1, north: out of a south investigator's scope, the same 404 as unknown.
    const out = await place(south, ['cam-bank', 'cam-shop']);
    expect([out.status, out.body.error?.code]).toEqual([404, 'not_found']);
    const long = await place(south, ['cam-bank'], base, base + 2 * 3_600_000 + 1);
    expect([long.status, long.body.error?.code]).toEqual([400, 'range_too_long']);
    const five = [];
    for (let i = 0; i < 5; i++) five.push(await place(south, ['cam-bank']));
    expect(five.map((r) => r.status)).toEqual([201, 201, 201, 201, 409]);
    expect(five[4]?.body.error?.code).toBe('hold_limit');
    // Another user's hold can be neither renewed nor released by this one.
    const theirs = five[0]?.body.id;
    const renew = await api(`${svc.httpUrl}/api/recordings/holds/${theirs}`, inv, {
      method: 'PUT',
      body: '{}',
    });
    expect(renew.status).toBe(404);
    await fetch(`${svc.httpUrl}/api/recordings/holds/${theirs}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${inv}` },
    });
    expect(
      (await api(`${svc.httpUrl}/api/recordings/holds/${theirs}`, south, { method: 'PUT', body: '{}' }))
        .status,
    ).toBe(200);
    // An id that is no hold's, not even in shape, is a hold that is gone: 404 as for any unknown id.
    for (const method of ['PUT', 'DELETE'])
      expect(
        await api<{ error?: { code: string } }>(`${svc.httpUrl}/api/recordings/holds/no-such-hold`, inv, {
          method,
          body: '{}',
        }).then((r) => [r.status, r.body.error?.code]),
      ).toEqual([404, 'hold_gone']);
    // Without a session, nothing.
    expect((await place('', ['cam-bank'])).status).toBe(401);
  });

  it('a segment purged after the player read the index is 404 purged to its viewer; a file removed by hand, no_file', async () => {
    const from = base + 100 * S;
    await seed('cam-shop', from, 3);
    const idx = await api<{ segments: { url: string }[] }>(
      `${svc.httpUrl}/api/recordings/index?camera=cam-shop&from=${iso(from)}&to=${iso(from + 12 * S)}`,
      inv,
    );
    expect(idx.body.segments).toHaveLength(3);
    const [first, second, third] = await all('cam-shop');
    // Someone removes a file by hand (or the disk loses it): the row is still there.
    await unlink(resolveInside(third!.storage, third!.path));
    // No hold (the page was asleep): retention takes the other two.
    await rec.index.claimUnprotected([first!, second!]);
    const get = (url: string, token = inv) =>
      api<{ error: { code: string; message: string } }>(`${svc.httpUrl}${url}`, token);
    const gone = await get(idx.body.segments[0]!.url);
    expect([gone.status, gone.body.error.code]).toEqual([404, 'purged']);
    expect(gone.body.error.message).toContain('retention');
    const lost = await get(idx.body.segments[2]!.url);
    expect([lost.status, lost.body.error.code]).toEqual([404, 'no_file']);
    // Someone else with the same URL learns nothing more than of an unknown segment.
    const other = await svc.login('inv-other', 'investigator', 'city');
    expect((await get(idx.body.segments[0]!.url, other)).body.error.code).toBe('not_found');
  });
});
