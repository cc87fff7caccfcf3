import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { keyFingerprint, verifyBytes } from './evidence-keys.js';
import type { ExportManifest } from './export-job.js';

/**
 * What an archive may hold before verification refuses it. The same caps apply to
 * `POST /api/exports/verify` and `sharpeyes verify`; every one is checked from the zip's own
 * directory before an entry is inflated, and again on the bytes as they stream.
 */
export interface VerifyLimits {
  /** Entries in the zip (an export holds one clip per camera, at most 16, and three control files). */
  maxEntries: number;
  /** `manifest.json`, kept in memory to be parsed and signature-checked. */
  maxManifestBytes: number;
  /** `manifest.sig` (base64 of 64 bytes). */
  maxSignatureBytes: number;
  /** Each `.pub` key (a PEM Ed25519 public key is 113 bytes). */
  maxKeyBytes: number;
  /** All entries inflated together. */
  maxTotalBytes: number;
  /**
   * Inflated to compressed, per entry of more than 1 MiB and for the whole archive against its file
   * size. Exports are stored (MP4 does not deflate): about 1. A zip bomb is in the thousands.
   */
  maxRatio: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyLimits = {
  maxEntries: 1000,
  maxManifestBytes: 1024 * 1024,
  maxSignatureBytes: 4096,
  maxKeyBytes: 16 * 1024,
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 100,
};

const RATIO_FLOOR = 1024 * 1024;
const MAX_KEYS = 4;

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
  /** Set when the archive broke a limit: nothing more was read. */
  refused?: { code: ArchiveRefusal; message: string };
  /** What the manifest says the export covers (for a scope check), when it could be read. */
  covers?: { cameras: string[]; incident: string | null };
}

export type ArchiveRefusal =
  | 'too_many_entries'
  | 'entry_too_large'
  | 'archive_too_large'
  | 'compression_ratio'
  | 'duplicate_entry'
  | 'too_many_keys';

/** A limit broken: verification stops at once (the stream is destroyed, nothing more is inflated). */
export class ArchiveRefusedError extends Error {
  constructor(
    readonly code: ArchiveRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveRefusedError';
  }
}

interface Entry {
  sha256: string;
  bytes: number;
  data?: Buffer;
}

const MiB = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

/** The in-memory cap of a control file, or undefined for a file that is only hashed. */
function keptLimit(name: string, l: VerifyLimits): number | undefined {
  if (name === 'manifest.json') return l.maxManifestBytes;
  if (name === 'manifest.sig') return l.maxSignatureBytes;
  if (name.endsWith('.pub')) return l.maxKeyBytes;
  return undefined;
}

/** Refuses an entry on what the zip's directory declares, before it is inflated. */
function checkDeclared(e: yauzl.Entry, l: VerifyLimits, declaredTotal: number, fileSize: number): void {
  const kept = keptLimit(e.fileName, l);
  if (kept !== undefined && e.uncompressedSize > kept)
    throw new ArchiveRefusedError(
      'entry_too_large',
      `${e.fileName} declares ${e.uncompressedSize} bytes; at most ${kept} are accepted`,
    );
  if (e.uncompressedSize > RATIO_FLOOR && e.uncompressedSize / Math.max(1, e.compressedSize) > l.maxRatio)
    throw new ArchiveRefusedError(
      'compression_ratio',
      `${e.fileName} inflates ${MiB(e.compressedSize)} to ${MiB(e.uncompressedSize)} (more than ${l.maxRatio}:1): refused as a zip bomb`,
    );
  if (declaredTotal > l.maxTotalBytes)
    throw new ArchiveRefusedError(
      'archive_too_large',
      `the archive declares more than ${MiB(l.maxTotalBytes)} of content`,
    );
  if (declaredTotal > RATIO_FLOOR && declaredTotal / Math.max(1, fileSize) > l.maxRatio)
    throw new ArchiveRefusedError(
      'compression_ratio',
      `the archive's entries add up to ${MiB(declaredTotal)} from a ${MiB(fileSize)} file (more than ${l.maxRatio}:1): refused as a zip bomb`,
    );
}

/**
 * Reads every entry of a zip, hashing each as it streams; the small control files are kept in memory,
 * each within its cap. Any limit broken rejects with `ArchiveRefusedError` and stops reading.
 */
function readZip(file: string, l: VerifyLimits): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      const fail = (e: unknown) => {
        zip.close();
        reject(e);
      };
      if (zip.entryCount > l.maxEntries)
        return fail(
          new ArchiveRefusedError(
            'too_many_entries',
            `the archive has ${zip.entryCount} entries; an export has at most ${l.maxEntries}`,
          ),
        );
      const out = new Map<string, Entry>();
      let declaredTotal = 0;
      let inflated = 0;
      let keys = 0;
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        try {
          if (out.has(entry.fileName))
            throw new ArchiveRefusedError(
              'duplicate_entry',
              `${entry.fileName} appears twice in the archive`,
            );
          if (entry.fileName.endsWith('.pub') && ++keys > MAX_KEYS)
            throw new ArchiveRefusedError(
              'too_many_keys',
              `the archive holds more than ${MAX_KEYS} .pub keys`,
            );
          declaredTotal += entry.uncompressedSize;
          checkDeclared(entry, l, declaredTotal, zip.fileSize);
        } catch (e) {
          return fail(e);
        }
        const kept = keptLimit(entry.fileName, l);
        zip.openReadStream(entry, (e2, stream) => {
          if (e2 || !stream) return fail(e2 ?? new Error(`cannot read ${entry.fileName}`));
          const h = createHash('sha256');
          const chunks: Buffer[] = [];
          let bytes = 0;
          stream.on('data', (c: Buffer) => {
            bytes += c.length;
            inflated += c.length;
            // yauzl already stops an entry at its declared size; these hold even if it did not.
            if ((kept !== undefined && bytes > kept) || inflated > l.maxTotalBytes) {
              stream.destroy();
              return fail(
                new ArchiveRefusedError(
                  kept !== undefined && bytes > kept ? 'entry_too_large' : 'archive_too_large',
                  `${entry.fileName} inflates past its limit`,
                ),
              );
            }
            h.update(c);
            if (kept !== undefined) chunks.push(c);
          });
          stream.on('error', fail);
          stream.on('end', () => {
            out.set(entry.fileName, {
              sha256: h.digest('hex'),
              bytes,
              ...(kept !== undefined ? { data: Buffer.concat(chunks) } : {}),
            });
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
 * file's SHA-256 and size, and that the zip holds no file the manifest does not list. An archive
 * past `limits` is refused (`refused` set, `ok` false) without being read further.
 */
export async function verifyExport(
  file: string,
  opts: {
    publicKeyPem?: string;
    /** Name used in messages instead of the path (an uploaded temp file). */
    displayName?: string;
    limits?: Partial<VerifyLimits>;
  } = {},
): Promise<VerifyResult> {
  const limits = { ...DEFAULT_VERIFY_LIMITS, ...opts.limits };
  const problems: string[] = [];
  const verified: string[] = [];
  const files: VerifyResult['files'] = [];
  const keySource = opts.publicKeyPem ? 'given' : 'embedded';
  const failed = (problem: string, refused?: VerifyResult['refused']): VerifyResult => ({
    ok: false,
    problems: [problem],
    verified,
    keySource,
    signature: 'missing',
    files,
    ...(refused ? { refused } : {}),
  });
  let entries: Map<string, Entry>;
  try {
    entries = await readZip(file, limits);
  } catch (err) {
    if (err instanceof ArchiveRefusedError)
      return failed(`refused: ${err.message}`, { code: err.code, message: err.message });
    return failed(`${opts.displayName ?? file} is not a readable zip: ${String(err)}`);
  }
  const manifestBytes = entries.get('manifest.json')?.data;
  const sig = entries.get('manifest.sig')?.data?.toString();
  if (!manifestBytes) return failed('manifest.json is missing');
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString()) as ExportManifest;
    if (typeof manifest !== 'object' || manifest === null) throw new TypeError('not an object');
  } catch {
    return failed('manifest.json is not valid JSON');
  }
  const covers = {
    cameras: Array.isArray(manifest.cameras)
      ? manifest.cameras.map((c) => String((c as { camera?: unknown })?.camera ?? ''))
      : [],
    incident: typeof manifest.incident === 'string' ? manifest.incident : null,
  };
  let signature: VerifyResult['signature'] = 'missing';
  const embeddedName = String(manifest.signature?.publicKey ?? '');
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
  // A tampered manifest may hold anything: only well-formed file rows are compared.
  const rows = (Array.isArray(manifest.files) ? manifest.files : []).filter(
    (f): f is ExportManifest['files'][number] =>
      typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string',
  );
  if (Array.isArray(manifest.files) && rows.length !== manifest.files.length)
    problems.push('manifest.json: some file rows are malformed');
  for (const f of rows) {
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
  return { ok: problems.length === 0, problems, verified, keySource, signature, files, covers };
}
