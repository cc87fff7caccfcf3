import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

/**
 * Bare ffmpeg recording cameras: for each RTSP URL, `ffmpeg -c copy` into 4-second MP4 segments in
 * `dir`, as a recorder with no service around it would. The baseline the service's alarm path is
 * measured against while it records: the same streams pulled and the same bytes written to the same
 * disk, by the bare tool.
 */
export async function startBareRecorders(
  urls: readonly string[],
  dir: string,
  segmentSeconds = 4,
): Promise<{ stop(): Promise<void> }> {
  const children: ChildProcess[] = urls.map((url, i) =>
    spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-rtsp_transport', 'tcp', '-i', url, '-map', '0:v:0', '-an', '-c:v', 'copy'],
        ...['-f', 'segment', '-segment_time', String(segmentSeconds), '-reset_timestamps', '1'],
        `${dir}/c${i}-%05d.mp4`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  // Every camera has closed a segment (its second file exists): all are recording.
  const deadline = Date.now() + 60_000;
  const recording = () =>
    urls.filter((_, i) => readdirSync(dir).filter((f) => f.startsWith(`c${i}-`)).length >= 2).length;
  while (recording() < urls.length) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`bare ffmpeg: only ${recording()} of ${urls.length} cameras recording`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { stop };
}
