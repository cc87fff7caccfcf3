import { spawn } from 'node:child_process';
import { lowerChild } from './child-nice.js';
import type { MediaFragment, MediaInit, StreamName, UpstreamHub } from './upstream-hub.js';

export class SnapshotError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'decode',
  ) {
    super(`snapshot: ${message}`);
    this.name = 'SnapshotError';
  }
}

/** Decodes the first frame of `init + keyframe fragment` to JPEG with ffmpeg. */
export function decodeJpeg(
  init: Buffer,
  fragment: Buffer,
  opts: { width?: number; ffmpegPath?: string } = {},
) {
  const scale = opts.width ? ['-vf', `scale=${opts.width}:-2`] : [];
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'mp4', '-i', 'pipe:0'],
    ...['-frames:v', '1', ...scale, '-q:v', '5', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1'],
  ];
  return new Promise<Buffer>((resolve, reject) => {
    const child = spawn(opts.ffmpegPath ?? 'ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    lowerChild(child.pid);
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-500);
    });
    // ffmpeg may exit before reading all input: that is fine.
    child.stdin.on('error', () => {});
    child.once('error', (e) => reject(new SnapshotError(`ffmpeg failed to start: ${e.message}`, 'decode')));
    child.once('close', (code) => {
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 0) resolve(jpeg);
      else
        reject(new SnapshotError(`ffmpeg could not decode a frame (code ${code}): ${err.trim()}`, 'decode'));
    });
    child.stdin.end(Buffer.concat([init, fragment]));
  });
}

/**
 * The JPEG fallback for a browser that cannot play the stream through MSE: the latest keyframe of a
 * camera stream, decoded once per keyframe however many viewers poll it. It uses the hub like any
 * consumer, so a polled camera keeps its one upstream open (and closes after the last poll lingers out).
 */
export class LiveSnapshots {
  private readonly cache = new Map<string, { wallclock: number; jpeg: Promise<Buffer> }>();

  constructor(
    private readonly hub: UpstreamHub,
    private readonly opts: { timeoutMs?: number; width?: number; ffmpegPath?: string } = {},
  ) {}

  async jpeg(camera: string, stream: StreamName, who: string): Promise<{ jpeg: Buffer; wallclock: number }> {
    const { init, fragment } = await this.keyframe(camera, stream, who);
    const key = `${camera}/${stream}`;
    let hit = this.cache.get(key);
    if (!hit || hit.wallclock !== fragment.wallclock) {
      const o = this.opts;
      const jpeg = decodeJpeg(init.init, fragment.data, {
        ...(o.width ? { width: o.width } : {}),
        ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}),
      });
      hit = { wallclock: fragment.wallclock, jpeg };
      this.cache.set(key, hit);
      jpeg.catch(() => this.cache.delete(key));
    }
    return { jpeg: await hit.jpeg, wallclock: hit.wallclock };
  }

  /** Subscribes until an init and a keyframe fragment arrive (at once when the upstream is live). */
  private keyframe(camera: string, stream: StreamName, who: string) {
    const timeoutMs = this.opts.timeoutMs ?? 5000;
    return new Promise<{ init: MediaInit; fragment: MediaFragment }>((resolve, reject) => {
      let init: MediaInit | undefined;
      let settled = false;
      let off: (() => void) | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // The callbacks may run inside subscribe(), before `off` exists.
        queueMicrotask(() => off?.());
        fn();
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new SnapshotError(`no keyframe from ${camera}/${stream} within ${timeoutMs} ms`, 'timeout'),
            ),
          ),
        timeoutMs,
      );
      off = this.hub.subscribe(
        camera,
        stream,
        {
          onInit: (i) => {
            init = i;
          },
          onFragment: (f) => {
            if (init && f.keyframe) {
              const i = init;
              finish(() => resolve({ init: i, fragment: f }));
            }
          },
          onEnd: (reason) => finish(() => reject(new SnapshotError(reason, 'timeout'))),
        },
        who,
      );
    });
  }
}
