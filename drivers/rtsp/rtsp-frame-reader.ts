import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { RtspError, redactText } from './rtsp-url.js';

const run = promisify(execFile);

export interface FrameReaderHandlers {
  /** Called whenever media arrives (the reader copies packets; nothing is decoded). */
  onData(bytes: number): void;
  /** The reader ended: the stream closed, the camera refused, or `stop()`. */
  onEnd(reason: string): void;
}

export interface FrameReader {
  stop(): void;
}

/**
 * The lightest frame reader a watchdog can have: ffmpeg copies the video track to stdout as raw
 * H.264/H.265 (no decoding), flushing per packet, so bytes on stdout mean frames on the wire.
 * The stderr tail goes into `onEnd` with credentials redacted (ffmpeg echoes the input URL).
 */
export function startFrameReader(url: string, h: FrameReaderHandlers, ffmpeg = 'ffmpeg'): FrameReader {
  const args = [
    ...['-nostdin', '-hide_banner', '-v', 'error', '-rtsp_transport', 'tcp'],
    // rw timeout (µs): a camera that stops sending mid-stream ends the reader instead of hanging it.
    ...['-timeout', '5000000', '-analyzeduration', '1000000', '-probesize', '1000000'],
    ...['-i', url, '-map', '0:v:0', '-c', 'copy', '-flush_packets', '1', '-f', 'data', 'pipe:1'],
  ];
  const child: ChildProcess = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    h.onEnd(redactText(reason));
  };
  child.stdout?.on('data', (d: Buffer) => h.onData(d.length));
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-600);
  });
  child.once('error', (err) => end(`ffmpeg failed to start: ${err.message}`));
  child.once('exit', (code, signal) => {
    const tail = stderr.trim().split('\n').slice(-2).join(' | ');
    end(signal ? `stopped (${signal})` : `ffmpeg exited ${code}${tail ? `: ${tail}` : ''}`);
  });
  return {
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** One JPEG frame from an RTSP stream (snapshot for cameras without an ONVIF snapshot URI). */
export async function grabJpeg(
  url: string,
  opts: { timeoutMs?: number; ffmpeg?: string } = {},
): Promise<Buffer> {
  try {
    const { stdout } = await run(
      opts.ffmpeg ?? 'ffmpeg',
      [
        ...['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000'],
        ...['-analyzeduration', '1000000', '-probesize', '1000000', '-i', url],
        ...['-map', '0:v:0', '-frames:v', '1', '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'],
      ],
      { encoding: 'buffer', timeout: opts.timeoutMs ?? 15_000, maxBuffer: 32 << 20 },
    );
    if (stdout.length < 4 || stdout[0] !== 0xff || stdout[1] !== 0xd8) throw new Error('no JPEG produced');
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8').trim() ?? '';
    // No `cause`: execFile's error message holds the command line, credentials included.
    throw new RtspError(`snapshot failed: ${stderr || (err as Error).message}`.slice(0, 400));
  }
}
