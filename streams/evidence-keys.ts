import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SiteKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** SHA-256 of the public key's DER (SPKI), hex. */
  fingerprint: string;
}

export const PRIVATE_KEY_FILE = 'site-ed25519.key';
export const PUBLIC_KEY_FILE = 'site-ed25519.pub';

export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/**
 * The site's Ed25519 signing key under `<dataDir>/keys/`, made on first use. The private key file is
 * 0600; it is written under a temporary name and renamed, so a crash never leaves half a key.
 */
export function loadOrCreateSiteKey(keysDir: string): SiteKey {
  const priv = join(keysDir, PRIVATE_KEY_FILE);
  const pub = join(keysDir, PUBLIC_KEY_FILE);
  if (!existsSync(priv)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(`${pub}.tmp`, pubPem);
    renameSync(`${pub}.tmp`, pub);
    writeFileSync(`${priv}.tmp`, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
      mode: 0o600,
    });
    renameSync(`${priv}.tmp`, priv);
  }
  const privateKey = createPrivateKey(readFileSync(priv));
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  if (!existsSync(pub)) writeFileSync(pub, publicKeyPem);
  return { privateKey, publicKeyPem, fingerprint: keyFingerprint(publicKeyPem) };
}

/** Ed25519 signature of `data`, base64. */
export function signBytes(key: SiteKey, data: Buffer): string {
  return sign(null, data, key.privateKey).toString('base64');
}

export function verifyBytes(publicKeyPem: string, data: Buffer, signatureB64: string): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), Buffer.from(signatureB64.trim(), 'base64'));
  } catch {
    // A malformed key or signature is simply "does not verify"; the caller names which file.
    return false;
  }
}
