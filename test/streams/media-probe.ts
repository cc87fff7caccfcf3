import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What ffprobe says about a file's timing, the way a player will read it. */
export interface MediaTiming {
  /** Container start and duration (`format`). */
  start: number;
  duration: number;
  /** Video packets in decode order: dts, pts and duration in seconds. */
  packets: { dts: number; pts: number; dur: number; key: boolean }[];
  /** Median step between consecutive packets' dts: the frame interval. */
  frameInterval: number;
  /** Largest step between consecutive packets' dts (a hole shows as a frozen frame this long). */
  maxStep: number;
  /** Every dts strictly greater than the one before. */
  monotonic: boolean;
  /** End of the last packet minus the first packet's dts: the video's own length. */
  videoSpan: number;
  creationTime: string | undefined;
  comment: string | undefined;
  chapters: { start: number; end: number; title: string }[];
  streams: string[];
}

export async function probeTiming(file: string): Promise<MediaTiming> {
  const { stdout } = await run(
    'ffprobe',
    [
      ...['-v', 'error', '-show_entries', 'format=start_time,duration:format_tags=creation_time,comment'],
      ...['-show_entries', 'stream=codec_type:chapter=start_time,end_time:chapter_tags=title'],
      ...['-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time,flags'],
      ...['-of', 'json', file],
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const j = JSON.parse(stdout) as {
    format?: { start_time?: string; duration?: string; tags?: { creation_time?: string; comment?: string } };
    streams?: { codec_type?: string }[];
    chapters?: { start_time: string; end_time: string; tags?: { title?: string } }[];
    packets?: {
      stream_index: number;
      pts_time?: string;
      dts_time?: string;
      duration_time?: string;
      flags?: string;
    }[];
  };
  const streams = (j.streams ?? []).map((s) => s.codec_type ?? '?');
  const video = streams.indexOf('video');
  const packets = (j.packets ?? [])
    .filter((p) => p.stream_index === video)
    .map((p) => ({
      dts: Number(p.dts_time ?? p.pts_time),
      pts: Number(p.pts_time ?? p.dts_time),
      dur: Number(p.duration_time ?? 0),
      key: (p.flags ?? '').includes('K'),
    }));
  const steps = packets.slice(1).map((p, i) => p.dts - (packets[i]?.dts ?? 0));
  const sorted = [...steps].sort((a, b) => a - b);
  const last = packets[packets.length - 1];
  return {
    start: Number(j.format?.start_time ?? Number.NaN),
    duration: Number(j.format?.duration ?? Number.NaN),
    packets,
    frameInterval: sorted[Math.floor(sorted.length / 2)] ?? 0,
    maxStep: sorted[sorted.length - 1] ?? 0,
    monotonic: steps.every((s) => s > 0),
    videoSpan: last ? last.dts + last.dur - (packets[0]?.dts ?? 0) : 0,
    creationTime: j.format?.tags?.creation_time,
    comment: j.format?.tags?.comment,
    chapters: (j.chapters ?? []).map((c) => ({
      start: Number(c.start_time),
      end: Number(c.end_time),
      title: c.tags?.title ?? '',
    })),
    streams,
  };
}

/** The wall-clock subtitle cues of a clip: media start (s) and the label shown. */
export async function clockCues(file: string): Promise<{ at: number; text: string }[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:s:0', '-f', 'srt', 'pipe:1'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const cues: { at: number; text: string }[] = [];
  for (const block of stdout.split(/\r?\n\r?\n/)) {
    const m = /(\d\d):(\d\d):(\d\d),(\d{3}) -->[^\n]*\n(.+)/.exec(block);
    if (m)
      cues.push({
        at: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000,
        text: m[5]!.trim(),
      });
  }
  return cues;
}
