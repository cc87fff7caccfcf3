import { access } from 'node:fs/promises';
import type { RequestHandler, Response } from 'express';
import { footage, spawnConcat } from '../../streams/clip-assembler.js';
import { mediaSeconds, piecesOf } from '../../streams/clip-timeline.js';
import type { PlaybackHolds } from '../../streams/playback-holds.js';
import type { Segment, SegmentIndex } from '../../streams/segment-index.js';
import { resolveInside } from '../../streams/segment-paths.js';
import { parse, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import { checkRange, iso, rangeQuery, visibleCamera } from './route-helpers.js';

export interface RangePlaybackDeps {
  index: SegmentIndex;
  holds: PlaybackHolds;
  maxRangeMs: number;
}

/**
 * A stream that delivered this many seconds less than its segments hold lost footage on the way (the
 * concat demuxer skips a file it cannot open and still exits 0). The last packet's time is a frame
 * (and a B-frame delay) short of the end; a segment is at least a second.
 */
const SHORT_BY_S = 0.5;

/** The segments of `segs` whose file is not on disk now. */
async function missing(segs: readonly Segment[]): Promise<Segment[]> {
  const there = await Promise.all(
    segs.map((s) =>
      access(resolveInside(s.storage, s.path)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return segs.filter((_, i) => !there[i]);
}

/**
 * Ends a 200 transfer without its last chunk: every byte written still reaches the client, which then
 * sees the transfer cut short (a `<video>` reports a network error, curl exit 18, fetch "terminated")
 * instead of a complete stream that simply ends where the footage went missing.
 */
function cutShort(res: Response): void {
  const socket = res.socket;
  if (!socket) {
    res.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}

/**
 * `GET /api/recordings/play`: the range as one fragmented MP4 stream for a plain `<video src>` (issue 6
 * contract; the console's player uses the index instead). Concat `-c copy`, timestamps from zero,
 * audited `footage.view` once ffmpeg has output.
 *
 * The range is held (`PlaybackHolds`) before its segments are read and for as long as the stream
 * runs, so retention passing meanwhile takes other footage for its limits and the investigator's
 * stream plays to its end. A stream that loses footage anyway (a file removed by hand, a disk fault)
 * is cut short instead of ending as if complete, and the log names what went missing.
 */
export function rangePlayback(svc: Service, d: RangePlaybackDeps): RequestHandler {
  const audit = svc.need('audit');
  return route(async (req, res) => {
    const user = userOf(req);
    const q = parse(rangeQuery, req.query, 'query');
    visibleCamera(svc, user, q.camera);
    checkRange(q.from, q.to, d.maxRangeMs);
    // Held first, read second: a segment still in the index now is one retention can no longer claim.
    const hold = await d.holds.hold({
      camera: q.camera,
      startMs: q.from,
      endMs: q.to,
      holder: user.username,
    });
    res.once('close', () => void hold.release());
    const segs = await footage(d.index, q.camera, q.from, q.to);
    if (segs.length === 0)
      throw new HttpError(
        404,
        'no_footage',
        `camera ${q.camera} has no footage between ${iso(q.from)} and ${iso(q.to)}`,
      );
    const proc = await spawnConcat(segs, {
      out: [
        ...['-progress', 'pipe:2', '-nostats'],
        ...['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', 'pipe:1'],
      ],
    });
    // ffmpeg has read every file it will read once it exits: the hold has done its work.
    void proc.done.then(() => hold.release());
    let stderr = '';
    let line = '';
    let deliveredS = 0;
    proc.stderr.on('data', (c: Buffer) => {
      const lines = (line + c.toString()).split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) {
        const t = /^out_time_us=(\d+)$/.exec(l);
        if (t) deliveredS = Number(t[1]) / 1e6;
        else if (!/^[a-z_0-9]+=/.test(l)) stderr = `${stderr}${l}\n`.slice(-2000);
      }
    });
    res.once('close', () => proc.kill('SIGKILL'));
    // Audited once ffmpeg has something to serve, before the first byte goes out: a range whose
    // files were removed between the check above and ffmpeg opening them serves nothing.
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
        if ((await missing(segs)).length > 0)
          throw new HttpError(
            404,
            'no_footage',
            `camera ${q.camera}'s footage between ${iso(q.from)} and ${iso(q.to)} was removed from disk as it was opened (recording retention, or a fault): choose a later range`,
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
    // Killed because the viewer left: nothing more to say to anyone.
    if (res.destroyed) return;
    const expectedS = mediaSeconds(piecesOf(segs).pieces);
    if ((code !== 0 && code !== null) || deliveredS < expectedS - SHORT_BY_S) {
      const gone = await missing(segs);
      svc.log.error(
        {
          camera: q.camera,
          from: iso(q.from),
          to: iso(q.to),
          code,
          expectedSeconds: expectedS,
          deliveredSeconds: deliveredS,
          missing: gone.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs), path: s.path })),
          stderr,
        },
        'recording: playback lost footage mid-stream; the transfer is cut short so the player shows it',
      );
      cutShort(res);
      return;
    }
    res.end();
  });
}
