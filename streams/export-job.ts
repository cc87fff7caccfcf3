import { createHash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import yazl from 'yazl';
import { ClipError, footage, spawnConcat } from './clip-assembler.js';
import { PUBLIC_KEY_FILE, type SiteKey, signBytes } from './evidence-keys.js';
import type { Segment, SegmentIndex } from './segment-index.js';
import { sanitizeName } from './segment-paths.js';

export interface ExportRequest {
  id: string;
  cameras: string[];
  fromMs: number;
  toMs: number;
  reason: string;
  incident?: string | undefined;
  exportedBy: { username: string; role: string; scope: string };
}

export interface ManifestFile {
  name: string;
  sha256: string;
  bytes: number;
}

export interface ExportManifest {
  format: 'sharpeyes-export/1';
  id: string;
  createdAt: string;
  exportedBy: ExportRequest['exportedBy'];
  reason: string;
  incident: string | null;
  requested: { from: string; to: string };
  cameras: {
    camera: string;
    file: string;
    from: string;
    to: string;
    sha256: string;
    bytes: number;
    segments: { path: string; from: string; to: string; bytes: number }[];
  }[];
  files: ManifestFile[];
  signature: { algorithm: 'Ed25519'; file: 'manifest.sig'; publicKey: string; keyFingerprint: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A clip streamed into the zip: its hash and size are known once ffmpeg has finished. */
interface StreamedClip {
  camera: string;
  name: string;
  startMs: number;
  endMs: number;
  sha256: string;
  bytes: number;
  segments: Segment[];
}

/**
 * Builds an evidence export: one clip per camera (concat demuxer, `-c copy`, as fragmented MP4 piped
 * straight into the zip and hashed on the way, so the footage is written once), then a manifest
 * with every file's SHA-256 and the source segments, its Ed25519 signature with the site key and
 * the public key. Zipped with yazl, stored (MP4 does not deflate). The zip is written under a
 * `.part` name and renamed, so a finished file is always a whole export.
 */
export async function runExport(
  req: ExportRequest,
  deps: {
    index: SegmentIndex;
    exportsDir: string;
    key: SiteKey;
    onProgress?: (p: number) => void;
    /** Aborting kills the running ffmpeg and removes the partial zip (service shutdown). */
    signal?: AbortSignal;
    /** The ffmpeg binary (tests use a wrapper that reads at native rate). */
    ffmpeg?: string;
  },
): Promise<{ file: string; manifest: ExportManifest }> {
  const out = join(deps.exportsDir, `${req.id}.zip`);
  const part = `${out}.part`;
  const zip = new yazl.ZipFile();
  const ws = createWriteStream(part);
  const written = new Promise<void>((resolve, reject) => {
    ws.once('close', resolve);
    ws.once('error', reject);
    zip.outputStream.once('error', reject);
  });
  zip.outputStream.pipe(ws);
  try {
    const clips: StreamedClip[] = [];
    const n = req.cameras.length;
    for (const [i, camera] of req.cameras.entries()) {
      if (deps.signal?.aborted) throw new ExportAborted(deps.signal.reason);
      const segments = footage(deps.index, camera, req.fromMs, req.toMs);
      const first = segments[0];
      const last = segments[segments.length - 1];
      if (!first || !last) throw new ClipError(`camera ${camera} has no footage in the range`, 'no_footage');
      const name = `clips/${sanitizeName(camera)}.mp4`;
      const { sha256, bytes } = await streamClipInto(
        zip,
        name,
        segments,
        (f) => deps.onProgress?.(((i + f) / n) * 0.95),
        deps.signal,
        deps.ffmpeg,
      );
      clips.push({ camera, name, startMs: first.startMs, endMs: last.endMs, sha256, bytes, segments });
    }
    const pubBytes = Buffer.from(deps.key.publicKeyPem);
    const manifest: ExportManifest = {
      format: 'sharpeyes-export/1',
      id: req.id,
      createdAt: new Date().toISOString(),
      exportedBy: req.exportedBy,
      reason: req.reason,
      incident: req.incident ?? null,
      requested: { from: iso(req.fromMs), to: iso(req.toMs) },
      cameras: clips.map((c) => ({
        camera: c.camera,
        file: c.name,
        from: iso(c.startMs),
        to: iso(c.endMs),
        sha256: c.sha256,
        bytes: c.bytes,
        segments: c.segments.map((s) => ({
          path: s.path,
          from: iso(s.startMs),
          to: iso(s.endMs),
          bytes: s.bytes,
        })),
      })),
      files: [
        ...clips.map((c) => ({ name: c.name, sha256: c.sha256, bytes: c.bytes })),
        { name: PUBLIC_KEY_FILE, sha256: sha256Buffer(pubBytes), bytes: pubBytes.length },
      ],
      signature: {
        algorithm: 'Ed25519',
        file: 'manifest.sig',
        publicKey: PUBLIC_KEY_FILE,
        keyFingerprint: deps.key.fingerprint,
      },
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    zip.addBuffer(manifestBytes, 'manifest.json');
    zip.addBuffer(Buffer.from(`${signBytes(deps.key, manifestBytes)}\n`), 'manifest.sig');
    zip.addBuffer(pubBytes, PUBLIC_KEY_FILE);
    zip.end();
    await written;
    if (deps.signal?.aborted) throw new ExportAborted(deps.signal.reason);
    renameSync(part, out);
    deps.onProgress?.(1);
    return { file: out, manifest };
  } catch (err) {
    zip.outputStream.unpipe(ws);
    ws.destroy();
    // The partial zip is discarded: a late error of its streams (aborted mid-entry) has nothing left to fail.
    written.catch(() => undefined);
    zip.outputStream.on('error', () => undefined);
    rmSync(part, { force: true });
    throw err;
  }
}

/** Runs the concat for one camera into a zip entry; resolves with the entry's SHA-256 and size. */
async function streamClipInto(
  zip: yazl.ZipFile,
  name: string,
  segments: Segment[],
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
  ffmpeg?: string,
): Promise<{ sha256: string; bytes: number }> {
  const totalUs = segments.reduce((n, s) => n + (s.endMs - s.startMs) * 1000, 0);
  const proc = spawnConcat(
    segments,
    [
      ...['-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof'],
      ...['-progress', 'pipe:2', '-nostats', 'pipe:1'],
    ],
    ffmpeg,
  );
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    const m = /out_time_us=(\d+)/.exec(text);
    if (m && totalUs > 0) onProgress(Math.min(1, Number(m[1]) / totalUs));
    stderr = (stderr + text.replace(/^\w+=.*$/gm, '').trim()).slice(-4000);
  });
  proc.stdout.pipe(tap);
  const ended = new Promise<void>((resolve) => tap.once('end', resolve));
  zip.addReadStream(tap, name, { compress: false });
  const kill = () => proc.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', resolve);
  }).finally(() => signal?.removeEventListener('abort', kill));
  if (signal?.aborted) throw new ExportAborted(signal.reason);
  if (code !== 0)
    throw new ClipError(`ffmpeg concat for ${name} exited with ${code}: ${stderr}`, 'ffmpeg_failed');
  await ended;
  onProgress(1);
  return { sha256: hash.digest('hex'), bytes };
}

/** An export stopped on purpose (its `AbortSignal`), not by a fault of the footage. */
export class ExportAborted extends Error {
  constructor(reason: unknown) {
    super(typeof reason === 'string' ? reason : 'export aborted');
    this.name = 'ExportAborted';
  }
}

function sha256Buffer(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function writeZip(
  out: string,
  entries: ({ name: string; file: string } | { name: string; data: Buffer })[],
): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if ('file' in e) zip.addFile(e.file, e.name, { compress: false });
    else zip.addBuffer(e.data, e.name, { compress: e.name.endsWith('.json') });
  }
  zip.end();
  const ws = createWriteStream(out);
  await new Promise<void>((resolve, reject) => {
    ws.once('close', resolve);
    ws.once('error', reject);
    zip.outputStream.once('error', reject);
    zip.outputStream.pipe(ws);
  });
}
