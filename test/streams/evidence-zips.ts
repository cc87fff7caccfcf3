import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yazl from 'yazl';
import {
  keyFingerprint,
  loadOrCreateSiteKey,
  PUBLIC_KEY_FILE,
  signBytes,
} from '../../streams/evidence-keys.js';
import { writeZip } from '../../streams/export-job.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A small export signed with the site key in `keysDir`, shaped like streams/export-job.ts writes one
 * (a "clip" of random bytes stands in for the MP4: verification only hashes it).
 */
export async function signedExport(
  dir: string,
  keysDir: string,
  opts: { cameras?: string[]; name?: string } = {},
): Promise<string> {
  const key = loadOrCreateSiteKey(keysDir);
  const cameras = opts.cameras ?? ['cam-shop'];
  const clips = cameras.map((c, i) => ({
    camera: c,
    name: `clips/${c}.mp4`,
    data: Buffer.alloc(4096 + i, i + 1),
  }));
  const pub = Buffer.from(key.publicKeyPem);
  const manifest = Buffer.from(
    JSON.stringify({
      format: 'sharpeyes-export/1',
      id: 'test-export',
      createdAt: new Date().toISOString(),
      exportedBy: { username: 'inv', role: 'investigator', scope: 'city' },
      reason: 'test',
      incident: null,
      requested: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:01:00Z' },
      cameras: clips.map((c) => ({
        camera: c.camera,
        file: c.name,
        from: '',
        to: '',
        sha256: sha(c.data),
        bytes: c.data.length,
        segments: [],
      })),
      files: [
        ...clips.map((c) => ({ name: c.name, sha256: sha(c.data), bytes: c.data.length })),
        { name: PUBLIC_KEY_FILE, sha256: sha(pub), bytes: pub.length },
      ],
      signature: {
        algorithm: 'Ed25519',
        file: 'manifest.sig',
        publicKey: PUBLIC_KEY_FILE,
        keyFingerprint: keyFingerprint(key.publicKeyPem),
      },
    }),
  );
  const out = join(dir, opts.name ?? 'export.zip');
  await writeZip(out, [
    ...clips.map((c) => ({ name: c.name, data: c.data })),
    { name: 'manifest.json', data: manifest },
    { name: 'manifest.sig', data: Buffer.from(`${signBytes(key, manifest)}\n`) },
    { name: PUBLIC_KEY_FILE, data: pub },
  ]);
  return out;
}

/** A zip of `entries` (deflated when `compress`). */
export async function zipOf(
  out: string,
  entries: { name: string; data: Buffer; compress?: boolean }[],
): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { compress: e.compress ?? true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  writeFileSync(out, Buffer.concat(chunks));
  return out;
}

/**
 * Rewrites the uncompressed size every header of the zip declares for its entries (local and
 * central), as a hand-made bomb does: a few hundred bytes claiming gigabytes.
 */
export function declareSize(file: string, size: number): void {
  const b = readFileSync(file);
  for (let i = 0; i < b.length - 4; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x04034b50) b.writeUInt32LE(size, i + 22);
    else if (sig === 0x02014b50) b.writeUInt32LE(size, i + 24);
  }
  writeFileSync(file, b);
}
