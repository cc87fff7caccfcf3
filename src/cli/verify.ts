import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PUBLIC_KEY_FILE } from '../../streams/evidence-keys.js';
import { verifyExport } from '../../streams/evidence-verify.js';
import { commonOptions, configFrom, type Verb } from './common.js';

/**
 * `sharpeyes verify EXPORT [--key PUB.pem]`: exit 0 only when the manifest signature and every file's
 * SHA-256 hold; 1 naming each thing that does not. The signature is checked against `--key`, else the
 * site key under `<dataDir>/keys/` when `--data-dir`/`--config` is given, else the key in the zip.
 */
export const verifyVerb: Verb = {
  name: 'verify',
  summary: 'check an evidence export: every file hash and the Ed25519 manifest signature',
  usage: 'verify EXPORT.zip [--key SITE_PUBLIC_KEY.pem] [--data-dir D]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...commonOptions, key: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new Error('name exactly one export zip to verify');
    if (!existsSync(file)) throw new Error(`export ${file} does not exist`);
    let keyFile = values.key;
    if (!keyFile && (values['data-dir'] || values.config)) {
      const candidate = join(configFrom(values).config.storage.dataDir, 'keys', PUBLIC_KEY_FILE);
      if (existsSync(candidate)) keyFile = candidate;
    }
    if (keyFile && !existsSync(keyFile)) throw new Error(`public key ${keyFile} does not exist`);
    // The same caps as POST /api/exports/verify (DEFAULT_VERIFY_LIMITS): a zip bomb is refused here too.
    const res = await verifyExport(file, keyFile ? { publicKeyPem: readFileSync(keyFile, 'utf8') } : {});
    if (res.refused) {
      process.stdout.write(`REFUSED: ${file}: ${res.refused.message}\n`);
      return 1;
    }
    for (const f of res.verified) process.stdout.write(`ok       ${f}\n`);
    for (const p of res.problems) process.stdout.write(`FAILED   ${p}\n`);
    const keyNote =
      res.keySource === 'given'
        ? `signature checked against ${keyFile}`
        : 'signature checked against the key inside the export (pass --key to check against the site key)';
    process.stdout.write(`${res.ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${file} (${keyNote})\n`);
    return res.ok ? 0 : 1;
  },
};
