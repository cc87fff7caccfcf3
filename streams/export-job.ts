import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';
import { assembleClip, type ClipResult } from './clip-assembler.js';
import { PUBLIC_KEY_FILE, type SiteKey, signBytes } from './evidence-keys.js';
import type { Gap, SegmentIndex } from './segment-index.js';
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
  /** The zone of the wall-clock track and chapter titles in the clips. */
  timeZone: string;
  cameras: {
    camera: string;
    file: string;
    /** Wall clock of the first frame (also the clip's `creation_time`) and of the end of the last. */
    from: string;
    to: string;
    /** Seconds of video: the wall time covered less the gaps. */
    duration: number;
    sha256: string;
    bytes: number;
    /** Contiguous stretches: where each starts in the file (`mediaStart`, s) and on the wall clock. */
    pieces: { from: string; to: string; mediaStart: number; duration: number }[];
    /** Holes in the recording inside the range, with the recorder's reason. */
    gaps: { from: string; to: string; reason: string }[];
    segments: { path: string; from: string; to: string; bytes: number }[];
  }[];
  files: ManifestFile[];
  signature: { algorithm: 'Ed25519'; file: 'manifest.sig'; publicKey: string; keyFingerprint: string };
}

const iso = (ms: number) => new Date(ms).toISOString();
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** An export stopped on purpose (its `AbortSignal`), not by a fault of the footage. */
export class ExportAborted extends Error {
  constructor(reason: unknown) {
    super(typeof reason === 'string' ? reason : 'export aborted');
    this.name = 'ExportAborted';
  }
}

function cameraEntry(c: ClipResult, name: string, gaps: Gap[]): ExportManifest['cameras'][number] {
  return {
    camera: c.camera,
    file: name,
    from: iso(c.startMs),
    to: iso(c.endMs),
    duration: round3(c.duration),
    sha256: c.sha256,
    bytes: c.bytes,
    pieces: c.pieces.map((p) => ({
      from: iso(p.startMs),
      to: iso(p.endMs),
      mediaStart: round3(p.mediaStart),
      duration: round3(p.segments.reduce((n, s) => n + (s.endMs - s.startMs) / 1000, 0)),
    })),
    gaps: c.holes.map((h) => ({
      from: iso(h.startMs),
      to: iso(h.endMs),
      reason: gaps.find((g) => g.startMs < h.endMs && g.endMs > h.startMs)?.reason ?? 'not recorded',
    })),
    segments: c.segments.map((s) => ({
      path: s.path,
      from: iso(s.startMs),
      to: iso(s.endMs),
      bytes: s.bytes,
    })),
  };
}

/**
 * Builds an evidence export: one MP4 per camera (concat demuxer, `-c copy`, index at the front, the
 * wall-clock track and chapters, `creation_time` = its first frame), then a manifest with every
 * file's SHA-256, ranges, pieces and gaps, its Ed25519 signature with the site key, and the public
 * key. Clips are cut to `<id>.work/` (a player needs the moov, which ffmpeg writes last) and stored in
 * the zip uncompressed; the zip is written under a `.part` name and renamed, so a finished file is
 * always a whole export.
 */
export async function runExport(
  req: ExportRequest,
  deps: {
    index: SegmentIndex;
    exportsDir: string;
    key: SiteKey;
    timeZone?: string;
    onProgress?: (p: number) => void;
    /** Aborting kills the running ffmpeg and removes the partial zip (service shutdown). */
    signal?: AbortSignal;
    /** The ffmpeg binary (tests use a wrapper that reads at native rate). */
    ffmpeg?: string;
  },
): Promise<{ file: string; manifest: ExportManifest }> {
  const out = join(deps.exportsDir, `${req.id}.zip`);
  const part = `${out}.part`;
  // Clips are cut next to the zip (same disk, and a crash's leftovers are found by their name).
  const tmp = join(deps.exportsDir, `${req.id}.work`);
  await mkdir(tmp, { recursive: true });
  const timeZone = deps.timeZone ?? 'Asia/Shanghai';
  try {
    const cams: ExportManifest['cameras'] = [];
    const n = req.cameras.length;
    for (const [i, camera] of req.cameras.entries()) {
      if (deps.signal?.aborted) throw new ExportAborted(deps.signal.reason);
      const name = `clips/${sanitizeName(camera)}.mp4`;
      const clip = await assembleClip({
        index: deps.index,
        camera,
        fromMs: req.fromMs,
        toMs: req.toMs,
        out: join(tmp, `${i}.mp4`),
        timeZone,
        onProgress: (f) => deps.onProgress?.(((i + f) / n) * 0.95),
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(deps.ffmpeg ? { ffmpeg: deps.ffmpeg } : {}),
      }).catch((err: unknown) => {
        if (deps.signal?.aborted) throw new ExportAborted(deps.signal.reason);
        throw err;
      });
      cams.push(cameraEntry(clip, name, await deps.index.gaps(camera, clip.startMs, clip.endMs)));
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
      timeZone,
      cameras: cams,
      files: [
        ...cams.map((c) => ({ name: c.file, sha256: c.sha256, bytes: c.bytes })),
        {
          name: PUBLIC_KEY_FILE,
          sha256: createHash('sha256').update(pubBytes).digest('hex'),
          bytes: pubBytes.length,
        },
      ],
      signature: {
        algorithm: 'Ed25519',
        file: 'manifest.sig',
        publicKey: PUBLIC_KEY_FILE,
        keyFingerprint: deps.key.fingerprint,
      },
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const zip = new yazl.ZipFile();
    for (const [i, c] of cams.entries()) zip.addFile(join(tmp, `${i}.mp4`), c.file, { compress: false });
    zip.addBuffer(manifestBytes, 'manifest.json');
    zip.addBuffer(Buffer.from(`${signBytes(deps.key, manifestBytes)}\n`), 'manifest.sig');
    zip.addBuffer(pubBytes, PUBLIC_KEY_FILE);
    zip.end();
    const ws = createWriteStream(part);
    await new Promise<void>((resolve, reject) => {
      ws.once('close', resolve);
      ws.once('error', reject);
      zip.outputStream.once('error', reject);
      zip.outputStream.pipe(ws);
      deps.signal?.addEventListener(
        'abort',
        () => {
          zip.outputStream.unpipe(ws);
          ws.destroy();
          reject(new ExportAborted(deps.signal?.reason));
        },
        { once: true },
      );
    });
    if (deps.signal?.aborted) throw new ExportAborted(deps.signal.reason);
    await rename(part, out);
    deps.onProgress?.(1);
    return { file: out, manifest };
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
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
