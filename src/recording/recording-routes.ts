import { access, readFile } from 'node:fs/promises';
import { Router } from 'express';
import { z } from 'zod';
import { footage, spawnConcat } from '../../streams/clip-assembler.js';
import { rebaseSegmentFile } from '../../streams/fmp4-rebase.js';
import type { Segment, SegmentIndex } from '../../streams/segment-index.js';
import { resolveInside } from '../../streams/segment-paths.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { PlaybackViews } from './playback-views.js';
import type { RecordingStore } from './recording-store.js';
import { cameraId, checkRange, instant, iso, visibleCamera } from './route-helpers.js';

const rangeQuery = z.strictObject({
  camera: cameraId,
  from: instant,
  to: instant,
  token: z.string().optional(),
});

export interface RecordingDeps {
  index: SegmentIndex;
  store: RecordingStore;
  views: PlaybackViews;
  maxRangeMs: number;
}

/** Whether every segment's file is still on disk (retention removes the oldest as it goes). */
async function allThere(segs: readonly Segment[]): Promise<boolean> {
  const there = await Promise.all(
    segs.map((s) =>
      access(resolveInside(s.storage, s.path)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return there.every(Boolean);
}

/** Longest window one playback index covers (the player asks again as the playhead moves). */
const INDEX_WINDOW_MS = 2 * 3_600_000;
/** Longest range one timeline request covers (runs, gaps and markers are few per day). */
const TIMELINE_MS = 31 * 86_400_000;

/**
 * Timeline and playback (issue 14). The player never makes the server transcode or concatenate: it
 * reads an audited index of a window (`/api/recordings/index`), then fetches the recorded segments as
 * they are (`/api/recordings/segments/:id?view=`), each a self-contained fMP4 starting at a keyframe
 * and at time zero, and places them on its own wall-clock timeline with MSE.
 */
export function recordingRoutes(svc: Service, d: RecordingDeps): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const audit = svc.need('audit');
  r.use('/api/recordings', auth);

  /** Segments and gaps of one camera over a range (issue 6 contract), with the runs they form. */
  r.get(
    '/api/recordings',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, d.maxRangeMs);
      const segments = await d.index.segments(q.camera, q.from, q.to);
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        segments: segments.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs), bytes: s.bytes })),
        runs: (await d.index.runs(q.camera, q.from, q.to)).map((x) => ({
          start: iso(x.startMs),
          end: iso(x.endMs),
        })),
        gaps: (await d.index.gaps(q.camera, q.from, q.to)).map((g) => ({
          start: iso(g.startMs),
          end: iso(g.endMs),
          reason: g.reason,
        })),
        playback: `/api/recordings/play?camera=${encodeURIComponent(q.camera)}&from=${iso(q.from)}&to=${iso(q.to)}`,
      });
    }),
  );

  /** What a timeline draws over hours or days: recorded runs, gaps, alarm/motion markers, bookmarks. */
  r.get(
    '/api/recordings/timeline',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, TIMELINE_MS);
      const site = svc.need('dir').camera(q.camera)?.site ?? '';
      const [runs, gaps, markers, bookmarks] = await Promise.all([
        d.index.runs(q.camera, q.from, q.to),
        d.index.gaps(q.camera, q.from, q.to),
        d.store.markers(q.camera, site, q.from, q.to),
        d.store.bookmarks({ cameras: [q.camera], fromMs: q.from, toMs: q.to }),
      ]);
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        runs: runs.map((x) => ({ start: iso(x.startMs), end: iso(x.endMs) })),
        gaps: gaps.map((g) => ({ start: iso(g.startMs), end: iso(g.endMs), reason: g.reason })),
        markers: markers.map((m) => ({
          at: iso(m.atMs),
          kind: m.kind,
          type: m.type,
          device: m.device,
          zone: m.zone,
          incident: m.incidentId,
        })),
        bookmarks: bookmarks.map((b) => ({
          id: b.id,
          at: iso(b.atMs),
          to: b.endMs === null ? null : iso(b.endMs),
          note: b.note,
          incident: b.incidentId,
          by: b.createdBy,
        })),
      });
    }),
  );

  /**
   * The segment index of a playback window, audited as a view of the footage (`footage.view`). Each
   * segment's URL carries the view id; the keyframe offsets let the player step and play backwards.
   */
  r.get(
    '/api/recordings/index',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, INDEX_WINDOW_MS);
      const segments = await d.index.segments(q.camera, q.from, q.to);
      const gaps = await d.index.gaps(q.camera, q.from, q.to);
      const view = d.views.open({ username: user.username, camera: q.camera, fromMs: q.from, toMs: q.to });
      await audit.append({
        actor: user.username,
        action: 'footage.view',
        target: `camera:${q.camera}`,
        detail: {
          from: iso(q.from),
          to: iso(q.to),
          segments: segments.length,
          via: 'playback',
          view: view.id,
        },
      });
      res.json({
        camera: q.camera,
        from: iso(q.from),
        to: iso(q.to),
        view: view.id,
        segments: segments.map((s) => ({
          id: s.id,
          start: s.startMs,
          end: s.endMs,
          bytes: s.bytes,
          frames: s.frames,
          keyframes: s.keyframes,
          codec: s.codec,
          url: `/api/recordings/segments/${s.id}?view=${view.id}`,
        })),
        gaps: gaps.map((g) => ({ start: g.startMs, end: g.endMs, reason: g.reason })),
      });
    }),
  );

  /** One recorded segment, as recorded (rebased to zero first if it predates issue 14). */
  r.get(
    '/api/recordings/segments/:id',
    route(async (req, res) => {
      const user = userOf(req);
      const id = Number(req.params['id']);
      const seg = Number.isSafeInteger(id) && id > 0 ? await d.index.segmentById(id) : undefined;
      if (!seg || !svc.need('access').canSeeCamera(user, seg.camera))
        throw new HttpError(404, 'not_found', `segment ${req.params['id']} does not exist`);
      const q = parse(z.strictObject({ view: z.uuid(), token: z.string().optional() }), req.query, 'query');
      if (!d.views.allows(q.view, user.username, seg.camera, seg.startMs, seg.endMs))
        throw new HttpError(403, 'view_expired', 'open the recording again: this playback view has expired');
      const file = resolveInside(seg.storage, seg.path);
      res.setHeader('cache-control', 'no-store');
      if (seg.zeroBased) {
        res.sendFile(file, { headers: { 'content-type': 'video/mp4' } }, (err) => {
          if (err && !res.headersSent)
            res.status(404).json({ error: { code: 'no_file', message: `segment ${seg.id} has no file` } });
        });
        return;
      }
      const data = await readFile(file).catch(() => undefined);
      if (!data) throw new HttpError(404, 'no_file', `segment ${seg.id} has no file`);
      rebaseSegmentFile(data);
      res.type('video/mp4').send(data);
    }),
  );

  /**
   * The range as one fragmented MP4 stream for a plain `<video src>` (issue 6 contract; the console's
   * player uses the index instead). Concat `-c copy`, timestamps from zero, audited `footage.view`.
   */
  r.get(
    '/api/recordings/play',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(rangeQuery, req.query, 'query');
      visibleCamera(svc, user, q.camera);
      checkRange(q.from, q.to, d.maxRangeMs);
      const segs = await footage(d.index, q.camera, q.from, q.to);
      if (segs.length === 0)
        throw new HttpError(
          404,
          'no_footage',
          `camera ${q.camera} has no footage between ${iso(q.from)} and ${iso(q.to)}`,
        );
      const proc = await spawnConcat(segs, {
        out: ['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', 'pipe:1'],
      });
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-2000);
      });
      res.once('close', () => proc.kill('SIGKILL'));
      // Audited once ffmpeg has something to serve, before the first byte goes out: a range whose
      // files retention removed between the check above and ffmpeg opening them serves nothing.
      let wake = () => {};
      await new Promise<void>((resolve) => {
        wake = resolve;
        proc.stdout.once('readable', wake);
        void proc.done.then(wake);
      });
      proc.stdout.off('readable', wake);
      if (proc.stdout.readableLength === 0) {
        const code = await proc.done;
        // The viewer left before anything was sent (ffmpeg killed above): no view, nothing to answer.
        if (res.destroyed) return;
        if (code !== 0) {
          if (!(await allThere(segs)))
            throw new HttpError(
              404,
              'no_footage',
              `camera ${q.camera}'s footage between ${iso(q.from)} and ${iso(q.to)} was removed by recording retention as it was opened: choose a later range`,
            );
          // Nothing was sent yet: the client gets an error it can show instead of an empty video.
          svc.log.error({ code, stderr, err: proc.spawnError }, 'recording: playback ffmpeg failed');
          res
            .status(503)
            .json({ error: { code: 'playback_failed', message: 'the recording could not be read' } });
          return;
        }
      }
      try {
        await audit.append({
          actor: user.username,
          action: 'footage.view',
          target: `camera:${q.camera}`,
          detail: { from: iso(q.from), to: iso(q.to), segments: segs.length },
        });
      } catch (err) {
        proc.kill('SIGKILL');
        throw err;
      }
      res.status(200).type('video/mp4').setHeader('cache-control', 'no-store');
      proc.stdout.pipe(res, { end: false });
      const code = await proc.done;
      if (code !== 0 && code !== null)
        svc.log.warn({ code, stderr }, 'recording: playback ffmpeg ended early');
      res.end();
    }),
  );
  return r;
}
