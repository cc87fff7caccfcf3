import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { keyFingerprint, verifyBytes } from './evidence-keys.js';
import type { ExportManifest } from './export-job.js';

export interface VerifyResult {
  ok: boolean;
  /** Each thing that does not hold, named: a file whose hash differs, a bad signature... */
  problems: string[];
  /** Files whose SHA-256 matched the manifest. */
  verified: string[];
  /** Where the trusted public key came from. */
  keySource: 'given' | 'embedded';
  /** The manifest's Ed25519 signature: `missing` when there is no manifest, signature or key. */
  signature: 'valid' | 'invalid' | 'missing';
  /** Every file the manifest lists, plus any the zip holds unlisted: actual SHA-256 (null when absent). */
  files: { name: string; sha256: string | null; ok: boolean }[];
}

interface Entry {
  sha256: string;
  bytes: number;
  data?: Buffer;
}

/** Reads every entry of a zip, hashing each as it streams; small control files are kept in memory. */
function readZip(file: string): Promise<Map<string, Entry>> {
  const keep = new Set(['manifest.json', 'manifest.sig']);
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      const out = new Map<string, Entry>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) return reject(e2 ?? new Error(`cannot read ${entry.fileName}`));
          const h = createHash('sha256');
          const chunks: Buffer[] = [];
          let bytes = 0;
          stream.on('data', (c: Buffer) => {
            h.update(c);
            bytes += c.length;
            if (keep.has(entry.fileName) || entry.fileName.endsWith('.pub')) chunks.push(c);
          });
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, { sha256: h.digest('hex'), bytes, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/**
 * Checks an export: the manifest's Ed25519 signature (against `publicKeyPem` when given, which is
 * what a court should do with the site's published key; else against the key in the zip), every
 * file's SHA-256 and size, and that the zip holds no file the manifest does not list.
 */
export async function verifyExport(
  file: string,
  opts: {
    publicKeyPem?: string /** Name used in messages instead of the path (an uploaded temp file). */;
    displayName?: string;
  } = {},
): Promise<VerifyResult> {
  const problems: string[] = [];
  const verified: string[] = [];
  const files: VerifyResult['files'] = [];
  const keySource = opts.publicKeyPem ? 'given' : 'embedded';
  const failed = (problem: string): VerifyResult => ({
    ok: false,
    problems: [problem],
    verified,
    keySource,
    signature: 'missing',
    files,
  });
  let entries: Map<string, Entry>;
  try {
    entries = await readZip(file);
  } catch (err) {
    return failed(`${opts.displayName ?? file} is not a readable zip: ${String(err)}`);
  }
  const manifestBytes = entries.get('manifest.json')?.data;
  const sig = entries.get('manifest.sig')?.data?.toString();
  if (!manifestBytes) return failed('manifest.json is missing');
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString()) as ExportManifest;
  } catch {
    return failed('manifest.json is not valid JSON');
  }
  let signature: VerifyResult['signature'] = 'missing';
  const embeddedName = manifest.signature?.publicKey ?? '';
  const embedded = entries.get(embeddedName)?.data?.toString();
  const key = opts.publicKeyPem ?? embedded;
  if (!sig) problems.push('manifest.sig is missing');
  else if (!key) problems.push(`public key ${embeddedName || '(unnamed)'} is missing`);
  else if (!verifyBytes(key, manifestBytes, sig)) {
    signature = 'invalid';
    problems.push(
      `manifest.sig: the Ed25519 signature of manifest.json does not verify with the ${keySource} public key`,
    );
  } else signature = 'valid';
  if (key && manifest.signature?.keyFingerprint) {
    let fp = '';
    try {
      fp = keyFingerprint(key);
    } catch {
      problems.push('the public key is not a valid Ed25519 key');
    }
    if (fp && fp !== manifest.signature.keyFingerprint) {
      if (signature === 'valid') signature = 'invalid';
      problems.push(`the manifest was signed by key ${manifest.signature.keyFingerprint}, not by ${fp}`);
    }
  }
  const listed = new Set<string>(['manifest.json', 'manifest.sig']);
  for (const f of manifest.files ?? []) {
    listed.add(f.name);
    const e = entries.get(f.name);
    const good = e !== undefined && e.sha256 === f.sha256 && e.bytes === f.bytes;
    files.push({ name: f.name, sha256: e?.sha256 ?? null, ok: good });
    if (!e) problems.push(`${f.name}: listed in the manifest but missing from the export`);
    else if (!good) problems.push(`${f.name}: SHA-256 ${e.sha256} does not match the manifest's ${f.sha256}`);
    else verified.push(f.name);
  }
  for (const [name, e] of entries) {
    if (listed.has(name)) continue;
    files.push({ name, sha256: e.sha256, ok: false });
    problems.push(`${name}: in the export but not listed in the manifest`);
  }
  return { ok: problems.length === 0, problems, verified, keySource, signature, files };
}
