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

/** Lower-cased host name of a URL (no port): what "the camera's own host" is compared on. */
export function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

export interface SnapshotOptions {
  /**
   * The camera's own host (of its configured device-service URL). Credentials — the configured
   * ones or any embedded in the URI — are only ever sent there: a GetSnapshotUri reply (or a
   * redirect) naming another host is fetched without them, and refused if that host wants them.
   */
  ownHost: string;
  timeoutMs?: number;
}

const MAX_REDIRECTS = 3;

/**
 * Fetches the JPEG behind an ONVIF snapshot URI. Hikvision and Dahua protect it with HTTP digest
 * (not WS-Security), Axis with digest or basic, some cameras with nothing: answer the challenge given,
 * but only when the URI is on the camera's own host.
 */
export async function fetchSnapshot(
  uri: string,
  cred: Credentials | undefined,
  opts: SnapshotOptions,
): Promise<Buffer> {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const own = opts.ownHost.toLowerCase();
  let u = new URL(uri);
  // Credentials embedded in the URI (some NVRs do that) move to the auth header.
  if (u.username && !cred)
    cred = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  const get = (target: URL, auth?: string) =>
    fetch(target, {
      headers: auth ? { authorization: auth } : {},
      // Redirects are followed here, so the credentials rule is applied to every hop.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  let res: Response | undefined;
  try {
    let auth: string | undefined;
    for (let hops = 0; ; hops++) {
      if (hops > MAX_REDIRECTS + 1)
        throw new OnvifError(`snapshot: more than ${MAX_REDIRECTS} redirects from ${hostOf(uri)}`, {});
      res = await get(u, auth);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        u = new URL(location, u);
        u.username = '';
        u.password = '';
        // A new target: its own challenge (if any) decides again whether credentials may go there.
        auth = undefined;
        continue;
      }
      const challenge = res.headers.get('www-authenticate');
      if (res.status !== 401 || !challenge || !cred || auth !== undefined) break;
      await res.arrayBuffer();
      if (u.hostname.toLowerCase() !== own)
        throw new OnvifError(
          `snapshot: the camera's snapshot URI names another host (${u.host}); its credentials are only sent to its own host ${own}`,
          { host: u.host, ownHost: own },
        );
      auth = /^digest/i.test(challenge)
        ? httpDigest(challenge, 'GET', `${u.pathname}${u.search}`, cred)
        : `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
  } catch (err) {
    if (err instanceof OnvifError) throw err;
    throw new OnvifError(`snapshot: ${hostOf(u.toString())} unreachable`, {}, { cause: err });
  }
  if (!res.ok)
    throw new OnvifError(`snapshot: HTTP ${res.status} from ${hostOf(u.toString())}`, { status: res.status });
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf[0] !== 0xff || buf[1] !== 0xd8)
    throw new OnvifError('snapshot: answer is not a JPEG', { bytes: buf.length });
  return buf;
}
