import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { Fmp4Splitter } from '../../streams/fmp4.js';
import { CameraRecorder, type MediaFragment, type StreamConsumer } from '../../streams/recorder.js';
import { type NewSegment, SegmentIndex } from '../../streams/segment-index.js';
import { SegmentWriter } from '../../streams/segment-writer.js';

/**
 * A real SQLite file with the migrations applied, a storage dir and a segment writer thread, all
 * removed by `cleanup`.
 */
export function tempRecordingStore() {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-rec-'));
  const store = new SqliteStore(join(dir, 'test.db'));
  // The raw handle, for tests that look at rows directly.
  const db = store.db;
  const index = new SegmentIndex(store.k);
  const writer = new SegmentWriter({ log: silentLogger });
  const storage = join(dir, 'recordings');
  return {
    dir,
    db,
    k: store.k,
    index,
    writer,
    storage,
    async cleanup() {
      await writer.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Encodes `seconds` of lavfi testsrc with libx264 (keyframe every 25 frames at 25 fps) as fragmented
 * MP4, the way the stream hub's ffmpeg emits it, and feeds `consumer` the init and each fragment.
 * A fragment "arrives" (its wall clock, as the hub stamps it) at `baseMs` plus the end of its media
 * time, as from a live camera with no latency, so recordings are deterministic; `lateBy(endMs)` adds
 * a delay by the end of its media time (ms from the stream's start).
 */
export async function feedTestStream(
  consumer: StreamConsumer,
  o: {
    baseMs: number;
    seconds: number;
    size?: string;
    encoderArgs?: string[];
    lateBy?: (mediaEndMs: number) => number;
  },
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
        duration: f.duration,
        samples: f.samples,
        wallclock: (() => {
          const end = ((f.decodeTime + f.duration) / timescale) * 1000;
          return o.baseMs + end + (o.lateBy?.(end) ?? 0);
        })(),
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
  writer: SegmentWriter;
  storage: string;
  camera: string;
  baseMs: number;
  seconds: number;
  segmentSeconds?: number;
}): Promise<CameraRecorder> {
  const last = await o.index.lastSegment(o.camera);
  const rec = new CameraRecorder(
    o.camera,
    {
      index: o.index,
      writer: o.writer,
      storageFor: () => o.storage,
      segmentSeconds: o.segmentSeconds ?? 2,
      log: silentLogger,
    },
    last?.endMs,
  );
  await feedTestStream(rec, { baseMs: o.baseMs, seconds: o.seconds });
  rec.onEnd('end of test stream');
  await rec.stop();
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

/** A segment row as the recorder indexes one (a 2026-01-02 path under `/rec`); `o` changes any field. */
export const indexedSegment = (
  camera: string,
  startMs: number,
  endMs: number,
  o: Partial<NewSegment> = {},
): NewSegment => ({
  camera,
  startMs,
  endMs,
  bytes: 100_000,
  storage: '/rec',
  path: `${camera}/2026-01-02/${startMs}.mp4`,
  keyframe: true,
  codec: 'h264',
  ...o,
});
