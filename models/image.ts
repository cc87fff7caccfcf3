import { spawn } from 'node:child_process';
import { lowerChild } from '../streams/child-nice.js';
import { ModelError } from './model-error.js';

/** An 8-bit RGB image, rows top to bottom, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Runs ffmpeg with `args`, feeding `input` on stdin if given; resolves with stdout. */
export function ffmpeg(args: readonly string[], input?: Uint8Array, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args], {
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    lowerChild(p.pid);
    // A camera that accepts the connection and then sends nothing must not hang the caller.
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    const out: Buffer[] = [];
    let err = '';
    p.stdout?.on('data', (b: Buffer) => out.push(b));
    p.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
    });
    p.on('error', (e) => reject(new ModelError('cannot run ffmpeg', {}, { cause: e })));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else if (signal) reject(new ModelError(`ffmpeg gave no frame within ${timeoutMs / 1000} s (stopped)`));
      else reject(new ModelError(`ffmpeg exited ${code}: ${err.trim().slice(0, 300)}`));
    });
    if (input && p.stdin) {
      p.stdin.on('error', () => undefined); // ffmpeg may exit before reading all; its exit code tells.
      p.stdin.end(input);
    }
  });
}

/** ffmpeg input options for a source: RTSP over TCP (UDP loses packets behind NAT and firewalls). */
export function inputArgs(source: string): string[] {
  return source.startsWith('rtsp://') ? ['-rtsp_transport', 'tcp', '-i', source] : ['-i', source];
}

/**
 * Decodes one frame of an image file, a video file (at `seekSeconds` when given) or a stream URL to
 * RGB with one ffmpeg run; the frame comes out as PAM, whose header carries the size.
 */
export async function decodeImageFile(
  source: string,
  timeoutSeconds = 10,
  seekSeconds?: number,
): Promise<RgbImage> {
  const pam = await ffmpeg(
    [
      ...(seekSeconds !== undefined ? ['-ss', String(seekSeconds)] : []),
      ...inputArgs(source),
      ...['-frames:v', '1', '-f', 'image2pipe', '-c:v', 'pam', '-pix_fmt', 'rgb24', '-'],
    ],
    undefined,
    timeoutSeconds * 1000,
  );
  const end = pam.indexOf('ENDHDR\n');
  const head = pam.subarray(0, Math.max(0, end)).toString('latin1');
  const w = /WIDTH (\d+)/.exec(head);
  const h = /HEIGHT (\d+)/.exec(head);
  if (end < 0 || !w || !h)
    throw new ModelError('ffmpeg produced no frame', {
      source: source.replace(/\/\/[^@/]*@/, '//[redacted]@'),
    });
  const width = Number(w[1]);
  const height = Number(h[1]);
  const data = pam.subarray(end + 7, end + 7 + width * height * 3);
  if (data.length !== width * height * 3) throw new ModelError(`short frame: ${data.length} bytes`);
  return { width, height, data: new Uint8Array(data) };
}

/** A rectangle to draw on a frame: x1, y1, x2, y2 in pixels and an ffmpeg colour (`red`, `0xFFD700`). */
export interface DrawnBox {
  box: readonly [number, number, number, number];
  color: string;
}

/** ffmpeg `drawbox` filters outlining each box, the line a little thicker on bigger frames. */
export function boxFilters(img: RgbImage, boxes: readonly DrawnBox[]): string[] {
  const t = Math.max(2, Math.round(img.width / 320));
  return boxes.map(({ box, color }) => {
    const x = Math.max(0, Math.floor(box[0]));
    const y = Math.max(0, Math.floor(box[1]));
    const w = Math.max(1, Math.min(img.width - x, Math.ceil(box[2] - box[0])));
    const h = Math.max(1, Math.min(img.height - y, Math.ceil(box[3] - box[1])));
    return `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${color}:t=${t}`;
  });
}

/** Encodes an RGB image as JPEG with ffmpeg, outlining `boxes` on it (no font needed). */
export function encodeJpeg(img: RgbImage, quality = 4, boxes: readonly DrawnBox[] = []): Promise<Buffer> {
  const filters = boxFilters(img, boxes);
  return ffmpeg(
    [
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${img.width}x${img.height}`, '-i', 'pipe:0'],
      ...(filters.length ? ['-vf', filters.join(',')] : []),
      ...['-frames:v', '1', '-q:v', String(quality), '-f', 'image2pipe', '-c:v', 'mjpeg', '-'],
    ],
    img.data,
  );
}

/** Bilinear resize of an RGB image. */
export function resizeRgb(src: RgbImage, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(src.height - 1, Math.floor(fy));
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(src.width - 1, Math.floor(fx));
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const a = src.data[(y0 * src.width + x0) * 3 + c]!;
        const b = src.data[(y0 * src.width + x1) * 3 + c]!;
        const d = src.data[(y1 * src.width + x0) * 3 + c]!;
        const e = src.data[(y1 * src.width + x1) * 3 + c]!;
        out[o + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy + 0.5;
      }
    }
  }
  return { width, height, data: out };
}

/** Copies a rectangle out of an image (clamped to its bounds). */
export function cropRgb(src: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(src.width, Math.ceil(x + w));
  const y1 = Math.min(src.height, Math.ceil(y + h));
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const out = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const from = ((y0 + row) * src.width + x0) * 3;
    out.set(src.data.subarray(from, from + width * 3), row * width * 3);
  }
  return { width, height, data: out };
}
