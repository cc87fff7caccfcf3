import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../src/log.js';
import { migrate } from '../../src/store/sqlite.js';
import { Fmp4Splitter } from '../../streams/fmp4.js';
import { CameraRecorder, type MediaFragment, type StreamConsumer } from '../../streams/recorder.js';
import { SegmentIndex } from '../../streams/segment-index.js';

/** A real SQLite file with the migrations applied, and a storage dir, removed by `cleanup`. */
export function tempRecordingStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-rec-'));
  const db = new Database(join(dir, 'test.db'));
  migrate(db);
  const index = new SegmentIndex(db);
  const storage = join(dir, 'recordings');
  return {
    dir,
    db,
    index,
    storage,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Encodes `seconds` of lavfi testsrc with libx264 (keyframe every 25 frames at 25 fps) as fragmented
 * MP4, the way the stream hub's ffmpeg emits it, and feeds `consumer` the init and each fragment.
 * The wall clock of a fragment is `baseMs` plus its decode time, so recordings are deterministic.
 */
export async function feedTestStream(
  consumer: StreamConsumer,
  o: { baseMs: number; seconds: number; size?: string; encoderArgs?: string[] },
): Promise<void> {
  const proc = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i'],
      `testsrc=size=${o.size ?? '320x240'}:rate=25:duration=${o.seconds}`,
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'],
      ...(o.encoderArgs ?? []),
      ...['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let timescale = 1;
  const splitter = new Fmp4Splitter({
    onInit(init) {
      timescale = init.timescale;
      consumer.onInit({ codec: init.mime, init: init.data });
    },
    onFragment(f) {
      const frag: MediaFragment = {
        data: f.data,
        keyframe: f.keyframe,
        decodeTime: f.decodeTime,
        timescale,
        wallclock: o.baseMs + (f.decodeTime / timescale) * 1000,
      };
      consumer.onFragment(frag);
    },
  });
  proc.stdout.on('data', (d: Buffer) => splitter.push(d));
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  if (code !== 0) throw new Error(`test ffmpeg exited with ${code}`);
}

/** Records `seconds` of test footage of `camera` starting at `baseMs` into the index. */
export async function recordTestFootage(o: {
  index: SegmentIndex;
  storage: string;
  camera: string;
  baseMs: number;
  seconds: number;
  segmentSeconds?: number;
}): Promise<CameraRecorder> {
  const rec = new CameraRecorder(o.camera, {
    index: o.index,
    storageFor: () => o.storage,
    segmentSeconds: o.segmentSeconds ?? 2,
    log: silentLogger,
  });
  await feedTestStream(rec, { baseMs: o.baseMs, seconds: o.seconds });
  rec.onEnd('end of test stream');
  return rec;
}

/** ffprobe's count of decodable video frames and the duration of a file. */
export async function probe(file: string): Promise<{ frames: number; duration: number }> {
  const proc = spawn(
    'ffprobe',
    [
      ...['-v', 'error', '-count_frames', '-select_streams', 'v:0'],
      ...['-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', file],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((resolve) => proc.once('close', resolve));
  const j = JSON.parse(out || '{}') as {
    streams?: { nb_read_frames?: string }[];
    format?: { duration?: string };
  };
  return { frames: Number(j.streams?.[0]?.nb_read_frames ?? 0), duration: Number(j.format?.duration ?? 0) };
}
