import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { CameraRecorder } from '../../streams/recorder.js';
import { RetentionMaintainer } from '../../streams/retention-maintainer.js';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { ev } from '../core/core-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { feedTestStream } from '../streams/recording-fixture.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The timeline, playback index, segment, bookmark and incident-footage routes (issue 14) on a service
 * whose cameras are unreachable: the footage is recorded into its index by its own recorder parts
 * (real segments, real SQLite), so the routes are tested without waiting for live video.
 */
describe('timeline and playback routes', () => {
  let svc: TestService;
  let rec: RecordingPart;
  let base: number;
  let inv: string;
  let south: string;
  let incident: string;

  /** 12 s of cam-shop, 6 s stopped, 8 s more (a gap); cam-bank 8 s. */
  const record = async (camera: string, from: number, seconds: number) => {
    const last = await rec.index.lastSegment(camera);
    const r = new CameraRecorder(
      camera,
      {
        index: rec.index,
        writer: rec.writer,
        storageFor: () => `${svc.dataDir}/recordings`,
        segmentSeconds: 2,
        log: silentLogger,
      },
      last?.endMs,
    );
    await feedTestStream(r, { baseMs: from, seconds });
    r.onEnd('camera unplugged');
    await r.stop();
  };

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${API_CITY_YAML}\nrecording: { enabled: false }\n` });
    rec = svc.svc.part<RecordingPart>('recording');
    base = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    await record('cam-shop', base, 12);
    await record('cam-shop', base + 18_000, 8);
    await record('cam-bank', base, 8);
    const out = await svc.svc
      .need('core')
      .ingest(ev('panic', { site: 'shop-1', device: 'panel-1', zone: '1' }));
    incident = out.incident!;
    inv = await svc.login('inv-north', 'investigator', 'north');
    south = await svc.login('inv-south', 'investigator', 'south');
  }, 60_000);
  afterAll(async () => svc?.close());

  const get = <T>(path: string, token = inv) => api<T>(`${svc.httpUrl}${path}`, token);

  it('the timeline has runs, the gap with its reason, and alarm markers', async () => {
    const res = await get<{
      runs: { start: string; end: string }[];
      gaps: { start: string; end: string; reason: string }[];
      markers: { kind: string; type: string; incident: string }[];
    }>(`/api/recordings/timeline?camera=cam-shop&from=${iso(base - 60_000)}&to=${iso(Date.now() + 60_000)}`);
    expect(res.status).toBe(200);
    expect(res.body.runs).toEqual([
      { start: iso(base), end: iso(base + 12_000) },
      { start: iso(base + 18_000), end: iso(base + 26_000) },
    ]);
    expect(res.body.gaps).toEqual([
      { start: iso(base + 12_000), end: iso(base + 18_000), reason: 'not recording' },
    ]);
    expect(res.body.markers).toContainEqual(
      expect.objectContaining({ kind: 'alarm', type: 'panic', incident }),
    );
    // The unreachable camera's own video loss is a marker of its lane too; other sites' events are not.
    expect(res.body.markers.map((m) => m.kind).sort()).toEqual(
      res.body.markers.some((m) => m.kind === 'video') ? ['alarm', 'video'] : ['alarm'],
    );
  });

  it('the playback index is an audited view; each segment is served as recorded, timed from zero', async () => {
    const views = (await svc.svc.need('audit').list({ action: 'footage.view' })).length;
    const res = await get<{
      view: string;
      segments: {
        id: number;
        start: number;
        end: number;
        frames: number;
        keyframes: number[];
        url: string;
      }[];
    }>(`/api/recordings/index?camera=cam-shop&from=${iso(base)}&to=${iso(base + 30_000)}`);
    expect(res.status).toBe(200);
    expect(res.body.segments.map((s) => [s.start - base, s.end - base, s.frames])).toEqual([
      [0, 2000, 50],
      [2000, 4000, 50],
      [4000, 6000, 50],
      [6000, 8000, 50],
      [8000, 10_000, 50],
      [10_000, 12_000, 50],
      [18_000, 20_000, 50],
      [20_000, 22_000, 50],
      [22_000, 24_000, 50],
      [24_000, 26_000, 50],
    ]);
    expect(res.body.segments[0]!.keyframes).toEqual([0, 1000]);
    const audit = await svc.svc.need('audit').list({ action: 'footage.view' });
    expect(audit).toHaveLength(views + 1);
    expect(audit[0]).toMatchObject({
      actor: 'inv-north',
      target: 'camera:cam-shop',
      detail: { via: 'playback', view: res.body.view },
    });
    const seg = await fetch(`${svc.httpUrl}${res.body.segments[3]!.url}`, {
      headers: { authorization: `Bearer ${inv}` },
    });
    expect(seg.status).toBe(200);
    expect(seg.headers.get('content-type')).toBe('video/mp4');
    const body = Buffer.from(await seg.arrayBuffer());
    expect(body.toString('latin1', 4, 8)).toBe('ftyp');
    // Fetching a segment adds no audit row: the view was audited.
    expect(await svc.svc.need('audit').list({ action: 'footage.view' })).toHaveLength(views + 1);
  });

  it.each([
    ['another user', 'south', 'view-of-north', 404],
    ['no view', 'north', 'none', 400],
    ['a made-up view', 'north', 'random', 403],
    ['a view of other footage', 'north', 'bank-view', 403],
  ])('a segment with %s is refused', async (_what, who, view, status) => {
    const own = await get<{ view: string; segments: { id: number; url: string }[] }>(
      `/api/recordings/index?camera=cam-shop&from=${iso(base)}&to=${iso(base + 4000)}`,
    );
    const bank = await get<{ view: string }>(
      `/api/recordings/index?camera=cam-bank&from=${iso(base)}&to=${iso(base + 4000)}`,
      await svc.login('inv-city', 'investigator', 'city'),
    );
    const id = own.body.segments[0]!.id;
    const q =
      view === 'view-of-north'
        ? `?view=${own.body.view}`
        : view === 'none'
          ? ''
          : view === 'random'
            ? `?view=${crypto.randomUUID()}`
            : `?view=${bank.body.view}`;
    const res = await get<{ error: { code: string } }>(
      `/api/recordings/segments/${id}${q}`,
      who === 'south' ? south : inv,
    );
    expect(res.status).toBe(status);
    if (status !== 404) expect(res.body.error.code).toBe(status === 400 ? 'bad_request' : 'view_expired');
  });

  it.each([
    ['an unknown camera', 'camera=nope', 404, 'not_found'],
    ['another station’s camera', 'camera=cam-bank', 404, 'not_found'],
    ['a reversed range', 'camera=cam-shop&from={t1}&to={t0}', 400, 'bad_range'],
    ['a window over two hours', 'camera=cam-shop&from={t0}&to={t3h}', 400, 'range_too_long'],
    ['a bad instant', 'camera=cam-shop&from=yesterday&to={t1}', 400, 'bad_request'],
  ])('the index refuses %s with a clear 4xx and audits nothing', async (_what, q, status, code) => {
    const views = (await svc.svc.need('audit').list({ action: 'footage.view' })).length;
    // Placeholders in braces: an ISO instant contains "T1…" between 10:00 and 19:59 UTC.
    const query = (q.includes('from') ? q : `${q}&from={t0}&to={t1}`)
      .replace('{t0}', iso(base))
      .replace('{t1}', iso(base + 10_000))
      .replace('{t3h}', iso(base + 3 * 3_600_000));
    const res = await get<{ error: { code: string; message: string } }>(`/api/recordings/index?${query}`);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(res.body.error.message.length).toBeGreaterThan(5);
    expect(await svc.svc.need('audit').list({ action: 'footage.view' })).toHaveLength(views);
  });

  it('a bookmark on an incident is kept with it, locks its footage, is audited, and only its author removes it', async () => {
    const post = await api<{ id: string; note: string }>(`${svc.httpUrl}/api/bookmarks`, inv, {
      method: 'POST',
      body: JSON.stringify({
        camera: 'cam-shop',
        at: iso(base + 5000),
        to: iso(base + 9000),
        note: 'a man at the door',
        incident,
      }),
    });
    expect(post.status).toBe(201);
    const footage = await get<{
      bookmarks: { note: string; at: string; to: string }[];
      locks: { reason: string; start: string; end: string; duration: number }[];
      clips: unknown[];
    }>(`/api/recordings/incident/${incident}`);
    expect(footage.body.bookmarks).toEqual([
      expect.objectContaining({ note: 'a man at the door', at: iso(base + 5000), to: iso(base + 9000) }),
    ]);
    expect(footage.body.locks).toContainEqual(
      expect.objectContaining({
        reason: `bookmark ${post.body.id}`,
        start: iso(base - 25_000),
        end: iso(base + 39_000),
        duration: 64,
      }),
    );
    expect((await svc.svc.need('audit').list({ action: 'footage.bookmark' }))[0]).toMatchObject({
      actor: 'inv-north',
      detail: { bookmark: post.body.id },
    });
    const other = await svc.login('inv-north-2', 'investigator', 'north');
    expect(
      (await api(`${svc.httpUrl}/api/bookmarks/${post.body.id}`, other, { method: 'DELETE' })).status,
    ).toBe(403);
    expect(
      (await api(`${svc.httpUrl}/api/bookmarks/${post.body.id}`, south, { method: 'DELETE' })).status,
    ).toBe(404);
    expect(
      (await api(`${svc.httpUrl}/api/bookmarks/${post.body.id}`, inv, { method: 'DELETE' })).status,
    ).toBe(200);
    expect(
      (await get<{ bookmarks: unknown[] }>(`/api/bookmarks?incident=${incident}`)).body.bookmarks,
    ).toEqual([]);
  });

  it.each([
    ['no note', { camera: 'cam-shop', at: 'T0' }, 400],
    ['a range over a day', { camera: 'cam-shop', at: 'T0', to: 'T2D', note: 'x' }, 400],
    ['another station’s camera', { camera: 'cam-bank', at: 'T0', note: 'x' }, 404],
    ['an unknown key', { camera: 'cam-shop', at: 'T0', note: 'x', color: 'red' }, 400],
  ])('a bookmark with %s is refused and nothing is stored', async (_what, body, status) => {
    const json = JSON.stringify(body)
      .replace('"T0"', `"${iso(base)}"`)
      .replace('"T2D"', `"${iso(base + 2 * 86_400_000)}"`);
    const res = await api(`${svc.httpUrl}/api/bookmarks`, inv, { method: 'POST', body: json });
    expect(res.status).toBe(status);
    expect(
      await rec.store.bookmarks({ cameras: ['cam-shop', 'cam-bank'], fromMs: 0, toMs: Date.now() * 2 }),
    ).toEqual([]);
  });

  it('an export of a range with a gap tells the console its cameras, range, duration and gap', async () => {
    const res = await api<{ id: string }>(`${svc.httpUrl}/api/exports`, inv, {
      method: 'POST',
      body: JSON.stringify({
        cameras: ['cam-shop'],
        from: iso(base + 9000),
        to: iso(base + 21_000),
        reason: 'case 88',
        incident,
      }),
    });
    expect(res.status).toBe(202);
    await rec.exports.idle();
    const list = await get<{ exports: { id: string; state: string; summary: unknown[] }[] }>(
      `/api/exports?incident=${incident}`,
    );
    expect(list.body.exports[0]).toMatchObject({
      id: res.body.id,
      state: 'done',
      summary: [
        {
          camera: 'cam-shop',
          from: iso(base + 8000),
          to: iso(base + 22_000),
          duration: 8,
          gaps: [{ from: iso(base + 12_000), to: iso(base + 18_000), reason: 'not recording' }],
        },
      ],
    });
    expect((await get(`/api/exports?incident=${incident}`, south)).status).toBe(404);
  });

  it('exports the event-loop delay in /metrics', async () => {
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^sharpeyes_event_loop_delay_seconds\{quantile="0\.99"\} [\d.e-]+$/m);
    expect(text).toMatch(/^sharpeyes_recording_writer_backlog_bytes \d+$/m);
  });

  // Last: it removes cam-bank's footage from disk.
  it('a range whose files retention removes as it is opened: 404 no_footage, not audited as viewed, not a 503', async () => {
    // Retention landing between the route's check of the files and ffmpeg opening them: an ffmpeg
    // first on the PATH removes the segments its concat list names, then runs the real one.
    const bin = mkdtempSync(join(tmpdir(), 'sharpeyes-retention-ffmpeg-'));
    const real = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();
    writeFileSync(
      join(bin, 'ffmpeg'),
      [
        '#!/bin/sh',
        'prev=""',
        'for a in "$@"; do',
        '  case "$a" in *.ffconcat) [ "$prev" = "-i" ] && sed -n "s/^file \'\\(.*\\)\'$/\\1/p" "$a" | while IFS= read -r f; do rm -f "$f"; done ;; esac',
        '  prev="$a"',
        'done',
        `exec ${real} "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const views = async () =>
      (await svc.svc.need('audit').list({ action: 'footage.view', target: 'camera:cam-bank' })).length;
    const viewsBefore = await views();
    const path = process.env['PATH'];
    const target = `/api/recordings/play?camera=cam-bank&from=${iso(base)}&to=${iso(base + 8000)}`;
    process.env['PATH'] = `${bin}:${path}`;
    let res: Awaited<ReturnType<typeof api<{ error: { code: string; message: string } }>>>;
    try {
      res = await api<{ error: { code: string; message: string } }>(`${svc.httpUrl}${target}`, south);
    } finally {
      process.env['PATH'] = path;
      rmSync(bin, { recursive: true, force: true });
    }
    const files = await rec.index.segments('cam-bank', base, base + 8000);
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => !existsSync(join(f.storage, f.path)))).toBe(true);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('no_footage');
    expect(res.body.error.message).toMatch(/retention/);
    expect(await views()).toBe(viewsBefore);
  });

  it("says each camera's retention boundary: its oldest kept footage and the stretch retention purged, in scope only", async () => {
    // The locks the tests above placed (a bookmark's, an export's) go, as a supervisor's unlock would;
    // then a real pass by age whose cutoff falls in cam-shop's gap: the first run (12 s) is past it.
    for (const l of await rec.index.locks()) await rec.index.unlock(l.id);
    const cutoff = base + 15_000;
    const pass = await new RetentionMaintainer({
      index: rec.index,
      paths: [{ path: `${svc.dataDir}/recordings` }],
      retentionDays: (Date.now() - cutoff) / 86_400_000,
      minFreeHours: 0,
      log: silentLogger,
    }).runOnce();
    expect(pass.byAge).toBe(6 + 4);
    const range = `camera=cam-shop&from=${iso(base - 60_000)}&to=${iso(base + 60_000)}`;
    const timeline = await get<{
      runs: { start: string; end: string }[];
      gaps: { start: string; reason: string }[];
      retention: { oldestKept: string | null; purgedFrom: string | null; purgedUntil: string | null };
    }>(`/api/recordings/timeline?${range}`);
    expect(timeline.status).toBe(200);
    expect(timeline.body.runs).toEqual([{ start: iso(base + 18_000), end: iso(base + 26_000) }]);
    // The recorder's own gap stays a gap (nothing recorded), inside or outside the purged stretch.
    expect(timeline.body.gaps.map((g) => [g.start, g.reason])).toEqual([
      [iso(base + 12_000), 'not recording'],
    ]);
    expect(timeline.body.retention).toEqual({
      oldestKept: iso(base + 18_000),
      purgedFrom: iso(base),
      purgedUntil: iso(base + 12_000),
    });
    const index = await get<{ retention: object }>(`/api/recordings/index?${range}`);
    expect(index.body.retention).toEqual({
      oldestKept: base + 18_000,
      purgedFrom: base,
      purgedUntil: base + 12_000,
    });
    const listing = await get<{ retention: object }>(`/api/recordings?${range}`);
    expect(listing.body.retention).toEqual(timeline.body.retention);
    // Another station's investigator learns nothing of the camera, its boundary included.
    for (const path of ['/api/recordings/timeline', '/api/recordings/index', '/api/recordings']) {
      const out = await get<{ error: { code: string }; retention?: unknown }>(`${path}?${range}`, south);
      expect(out.status).toBe(404);
      expect(out.body.error.code).toBe('not_found');
      expect(out.body.retention).toBeUndefined();
    }
  });
});
