import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { signedUrl } from '../helpers/media.js';
import { api, nextEvent, opsClient, type TestService } from '../helpers/service.js';
import { startRecordingCity, waitForSegments } from './recording-fixture.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

describe('recording through the stream hub: alarm clip, playback, signed export', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  beforeAll(async () => {
    ({ rtsp, svc, rec } = await startRecordingCity());
    await waitForSegments(rec, 'cam-1', 4);
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await rtsp?.stop();
  });

  it('records each camera as contiguous keyframe segments under <camera>/<day>/<startMs>.mp4', async () => {
    const segs = await waitForSegments(rec, 'cam-2', 3);
    for (const s of segs)
      expect(s.path).toMatch(new RegExp(`^cam-2/\\d{4}-\\d\\d-\\d\\d/${s.startMs}\\.mp4$`));
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.startMs).toBe(segs[i - 1]!.endMs);
    const token = await svc.login('op-city', 'operator', 'city');
    const from = new Date(segs[0]!.startMs).toISOString();
    const to = new Date(segs.at(-1)!.endMs).toISOString();
    const tl = await api<{ segments: unknown[]; gaps: unknown[] }>(
      `${svc.httpUrl}/api/recordings?camera=cam-2&from=${from}&to=${to}`,
      token,
    );
    expect(tl.status).toBe(200);
    expect(tl.body.segments.length).toBeGreaterThanOrEqual(segs.length);
    expect(tl.body.gaps).toEqual([]);
  });

  it('a panic gives its zone camera a clip and snapshot on the incident, locked as evidence', async () => {
    const token = await svc.login('op-north', 'operator', 'north');
    const socket = await opsClient(svc.httpUrl, token);
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1',
    });
    const opened = nextEvent<Incident>(socket, 'incident:new');
    const clipped = new Promise<[Incident, { kind: string; camera: string; url: string; snapshot: string }]>(
      (resolve) =>
        socket.on(
          'incident:update',
          (inc: Incident, change: { kind: string; camera: string; url: string; snapshot: string }) => {
            if (change?.kind === 'clip') resolve([inc, change]);
          },
        ),
    );
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'evt-clip', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const inc = await opened;
    const [updated, change] = await clipped;
    expect(change.camera).toBe('cam-1');
    const clip = updated.clips[0]!;
    const pressed = Date.parse(inc.events[0]!.receivedAt);
    // Preroll 2 s, postroll 1 s; starts at the keyframe (segment start) at or before pressed - 2 s.
    expect(Date.parse(clip.start)).toBeLessThanOrEqual(pressed - 2000);
    expect(Date.parse(clip.end)).toBeGreaterThanOrEqual(pressed + 1000);

    const body = Buffer.from(
      await (await fetch(await signedUrl(svc.httpUrl, token, clip.url))).arrayBuffer(),
    );
    expect(createHash('sha256').update(body).digest('hex')).toBe(clip.sha256);
    const snap = await fetch(`${svc.httpUrl}${change.snapshot}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await svc.svc.need('audit').list({ action: 'footage.view' })).map((a) => a.target)).toContain(
      clip.url.replace('/api/clips/', 'clip:'),
    );
    expect((await rec.index.locks({ incidentId: inc.id })).map((l) => l.camera)).toEqual(['cam-1']);

    // The other station cannot see the clip.
    const south = await svc.login('op-south', 'operator', 'south');
    expect((await api(`${svc.httpUrl}${clip.url}`, south)).status).toBe(404);
    socket.close();
    await panel.endAsync();
  });

  it('plays a range as one fragmented MP4 and audits the view', async () => {
    const token = await svc.login('inv-city', 'investigator', 'city');
    const segs = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    const from = new Date(segs[0]!.startMs).toISOString();
    const to = new Date(segs[2]!.endMs).toISOString();
    const res = await fetch(
      await signedUrl(svc.httpUrl, token, `/api/recordings/play?camera=cam-1&from=${from}&to=${to}`),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.toString('latin1', 4, 8)).toBe('ftyp');
    expect(body.includes(Buffer.from('moof'))).toBe(true);
    const views = await svc.svc.need('audit').list({ action: 'footage.view', target: 'camera:cam-1' });
    expect(views[0]).toMatchObject({ actor: 'inv-city', detail: { from, to } });
  });

  it('exports two cameras as a signed zip with progress pushed to the requester; verify exits 0, then 1 when tampered', async () => {
    const token = await svc.login('inv-city', 'investigator', 'city');
    const socket = await opsClient(svc.httpUrl, token);
    const segs1 = await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER);
    const from = new Date(segs1[1]!.startMs + 300).toISOString();
    const to = new Date(segs1[3]!.endMs).toISOString();
    const progress: { id: string; state: string; progress: number }[] = [];
    socket.on('export:progress', (p: { id: string; state: string; progress: number }) => progress.push(p));
    const done = nextEvent<{ id: string; state: string; url: string }>(
      socket,
      'export:progress',
      (p) => p.state === 'done',
      20_000,
    );
    const res = await api<{ id: string }>(`${svc.httpUrl}/api/exports`, token, {
      method: 'POST',
      body: JSON.stringify({ cameras: ['cam-1', 'cam-2'], from, to, reason: 'case 2026/17' }),
    });
    expect(res.status).toBe(202);
    expect(
      (await rec.index.locks()).filter((l) => l.reason === `export ${res.body.id}`).map((l) => l.camera),
    ).toEqual(['cam-1', 'cam-2']);
    const finished = await done;
    expect(finished.id).toBe(res.body.id);
    expect(progress.map((p) => p.state)).toContain('running');
    const st = await api<{ state: string; progress: number; url: string }>(
      `${svc.httpUrl}/api/exports/${res.body.id}`,
      token,
    );
    expect(st.body).toMatchObject({
      state: 'done',
      progress: 1,
      url: `/api/exports/${res.body.id}/download`,
    });
    // Another investigator does not see it.
    const other = await svc.login('inv-2', 'investigator', 'city');
    expect((await api(`${svc.httpUrl}/api/exports/${res.body.id}`, other)).status).toBe(404);

    const zip = Buffer.from(
      await (await fetch(await signedUrl(svc.httpUrl, token, st.body.url))).arrayBuffer(),
    );
    const file = join(svc.dataDir, 'downloaded.zip');
    writeFileSync(file, zip);
    expect((await svc.svc.need('audit').list({ action: 'footage.export.download' }))[0]?.actor).toBe(
      'inv-city',
    );
    const ok = await run('npx', ['tsx', CLI, 'verify', file, '--data-dir', svc.dataDir]);
    expect(ok.stdout).toMatch(/^VERIFIED: .*against .*site-ed25519\.pub/m);
    expect(ok.stdout).toMatch(/^ok\s+clips\/cam-2\.mp4$/m);

    const bad = Buffer.from(zip);
    bad[200] = (bad[200]! + 1) % 256; // inside the first clip's bytes (stored, not deflated)
    writeFileSync(file, bad);
    const failed = await run('npx', ['tsx', CLI, 'verify', file]).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED\s+clips\/cam-1\.mp4: SHA-256/);
    socket.close();
  }, 40_000);

  it.each([
    ['a reversed range', { from: 1, to: 0 }, 400, 'bad_range'],
    ['a huge range', { from: 0, to: 2 * 86_400_000 }, 400, 'range_too_long'],
    ['an unknown camera', { cameras: ['cam-9'] }, 404, 'not_found'],
    ['an out-of-scope camera', { cameras: ['cam-2'], user: 'north' }, 404, 'not_found'],
    ['a path trick', { cameras: ['../../etc'] }, 400, 'bad_request'],
    ['a range with no footage', { from: -86_400_000, to: -86_000_000 }, 422, 'no_footage'],
    ['no reason', { reason: '' }, 400, 'bad_request'],
  ])(
    'refuses an export with %s, writing nothing',
    async (_what, o: {
      from?: number;
      to?: number;
      cameras?: string[];
      user?: string;
      reason?: string;
    }, status, code) => {
      const token = await svc.login(`inv-${o.user ?? 'city'}`, 'investigator', o.user ?? 'city');
      const base = Date.now() - 5000;
      const before = svc.svc.need('store').db.prepare('SELECT COUNT(*) AS n FROM recording_exports').get();
      const files = readdirSync(join(svc.dataDir, 'exports'));
      const res = await api<{ error: { code: string; message: string } }>(
        `${svc.httpUrl}/api/exports`,
        token,
        {
          method: 'POST',
          body: JSON.stringify({
            cameras: o.cameras ?? ['cam-1'],
            from: new Date(base + (o.from ?? 0)).toISOString(),
            to: new Date(base + (o.to ?? 3000)).toISOString(),
            reason: o.reason ?? 'case',
          }),
        },
      );
      expect([res.status, res.body.error.code]).toEqual([status, code]);
      expect(res.body.error.message.length).toBeGreaterThan(5);
      expect(svc.svc.need('store').db.prepare('SELECT COUNT(*) AS n FROM recording_exports').get()).toEqual(
        before,
      );
      expect(readdirSync(join(svc.dataDir, 'exports'))).toEqual(files);
    },
  );

  it.each([
    [
      'a reversed range',
      'recordings?camera=cam-1&from=2026-01-02T00:00:10Z&to=2026-01-02T00:00:00Z',
      400,
      'bad_range',
    ],
    [
      'an unknown camera',
      'recordings?camera=cam-9&from=2026-01-02T00:00:00Z&to=2026-01-02T00:00:10Z',
      404,
      'not_found',
    ],
    [
      'a path trick',
      'recordings?camera=..%2Fetc&from=2026-01-02T00:00:00Z&to=2026-01-02T00:00:10Z',
      400,
      'bad_request',
    ],
    ['a bad instant', 'recordings?camera=cam-1&from=yesterday&to=2026-01-02T00:00:10Z', 400, 'bad_request'],
    [
      'playback with no footage',
      'recordings/play?camera=cam-1&from=2020-01-02T00:00:00Z&to=2020-01-02T00:00:10Z',
      404,
      'no_footage',
    ],
    [
      'out-of-scope playback',
      'recordings/play?camera=cam-2&from=2020-01-02T00:00:00Z&to=2020-01-02T00:00:10Z',
      404,
      'not_found',
    ],
  ])('refuses %s on the timeline and playback routes', async (_what, path, status, code) => {
    const token = await svc.login('op-north', 'operator', 'north');
    const views = (await svc.svc.need('audit').list({ action: 'footage.view' })).length;
    const res = await api<{ error: { code: string } }>(`${svc.httpUrl}/api/${path}`, token);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(await svc.svc.need('audit').list({ action: 'footage.view' })).toHaveLength(views);
  });

  it('records the time the camera was unreachable as a gap, then records again', async () => {
    const before = (await rec.index.lastSegment('cam-2'))!;
    await rtsp.drop();
    await new Promise((r) => setTimeout(r, 2500));
    await rtsp.resume();
    const until = Date.now() + 25_000;
    while ((await rec.index.gaps('cam-2', 0, Number.MAX_SAFE_INTEGER)).length === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    const [gap] = await rec.index.gaps('cam-2', 0, Number.MAX_SAFE_INTEGER);
    expect(gap).toMatchObject({ camera: 'cam-2', reason: expect.stringMatching(/^stream lost/) });
    expect(gap!.startMs).toBeGreaterThanOrEqual(before.endMs);
    expect(gap!.endMs - gap!.startMs).toBeGreaterThan(1500);
    // The segment that starts at the gap's end is indexed when it closes.
    await expect
      .poll(
        async () => (await rec.index.segments('cam-2', gap!.endMs, Number.MAX_SAFE_INTEGER))[0]?.startMs,
        {
          timeout: 5000,
        },
      )
      .toBe(gap!.endMs);
  }, 40_000);
});
