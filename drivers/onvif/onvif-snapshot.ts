import { createHash, randomBytes } from 'node:crypto';
import type { Credentials } from './onvif-soap.js';
import { hostOf } from './onvif-soap.js';
import { OnvifError } from './onvif-xml.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** RFC 7616 digest (MD5, qop=auth or none) for one request. */
export function httpDigest(challenge: string, method: string, uri: string, cred: Credentials): string {
  const p: Record<string, string> = {};
  for (const m of challenge.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g))
    p[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  const realm = p['realm'] ?? '';
  const nonce = p['nonce'] ?? '';
  const ha1 = md5(`${cred.username}:${realm}:${cred.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qop = (p['qop'] ?? '').split(',').map((s) => s.trim());
  let header = `Digest username="${cred.username}", realm="${realm}", nonce="${nonce}", uri="${uri}"`;
  if (qop.includes('auth')) {
    const nc = '00000001';
    const cnonce = randomBytes(8).toString('hex');
    header += `, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`;
  } else {
    header += `, response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
  }
  if (p['opaque'] !== undefined) header += `, opaque="${p['opaque']}"`;
  return header;
}

/**
 * Fetches the JPEG behind an ONVIF snapshot URI. Hikvision and Dahua protect it with HTTP digest
 * (not WS-Security), Axis with digest or basic, some cameras with nothing: answer the challenge given.
 */
export async function fetchSnapshot(
  uri: string,
  cred: Credentials | undefined,
  timeoutMs = 8000,
): Promise<Buffer> {
  const u = new URL(uri);
  // Credentials embedded in the URI (some NVRs do that) move to the auth header.
  if (u.username && !cred)
    cred = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  const target = u.toString();
  const get = (auth?: string) =>
    fetch(target, {
      headers: auth ? { authorization: auth } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  let res: Response;
  try {
    res = await get();
    const challenge = res.headers.get('www-authenticate');
    if (res.status === 401 && challenge && cred) {
      await res.arrayBuffer();
      const auth = /^digest/i.test(challenge)
        ? httpDigest(challenge, 'GET', `${u.pathname}${u.search}`, cred)
        : `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      res = await get(auth);
    }
  } catch (err) {
    throw new OnvifError(`snapshot: ${hostOf(uri)} unreachable`, {}, { cause: err });
  }
  if (!res.ok)
    throw new OnvifError(`snapshot: HTTP ${res.status} from ${hostOf(uri)}`, { status: res.status });
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf[0] !== 0xff || buf[1] !== 0xd8)
    throw new OnvifError('snapshot: answer is not a JPEG', { bytes: buf.length });
  return buf;
}
