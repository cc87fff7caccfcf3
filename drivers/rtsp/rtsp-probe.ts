import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { parseRtspUrl, RtspError, redactRtspUrl } from './rtsp-url.js';

export interface RtspResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: string;
}

export interface SdpMedia {
  kind: string;
  codec?: string;
  control?: string;
}

export interface ProbeResult {
  ok: boolean;
  status: number;
  server?: string;
  media: SdpMedia[];
  /** Video codec of the first video track, lower case (`h264`, `h265`). */
  video?: string;
}

/** SDP → media sections with their rtpmap codec. */
export function parseSdp(sdp: string): SdpMedia[] {
  const out: SdpMedia[] = [];
  let cur: SdpMedia | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      cur = { kind: line.slice(2).split(' ')[0] ?? '' };
      out.push(cur);
    } else if (cur && line.startsWith('a=rtpmap:')) {
      cur.codec ??= line.split(' ')[1]?.split('/')[0]?.toLowerCase();
    } else if (cur && line.startsWith('a=control:')) {
      cur.control = line.slice('a=control:'.length).trim();
    }
  }
  return out;
}

/** `Digest realm="x", nonce="y"` → { realm: 'x', nonce: 'y' } */
export function parseChallenge(h: string): { scheme: string; params: Record<string, string> } {
  const scheme = h.split(' ')[0] ?? '';
  const params: Record<string, string> = {};
  for (const m of h.slice(scheme.length).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { scheme: scheme.toLowerCase(), params };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function authorization(
  challenge: string,
  method: string,
  uri: string,
  username: string,
  password: string,
): string {
  const { scheme, params } = parseChallenge(challenge);
  if (scheme === 'basic') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const realm = params['realm'] ?? '';
  const nonce = params['nonce'] ?? '';
  // RTSP cameras (Hikvision, Dahua) use RFC 2069 digest without qop.
  const response = md5(`${md5(`${username}:${realm}:${password}`)}:${nonce}:${md5(`${method}:${uri}`)}`);
  return `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}"`;
}

/** Minimal RTSP/1.0 request/response over one TCP connection. */
class RtspConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private error: Error | undefined;
  private cseq = 0;

  constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const fail = (err: Error) => {
      this.error = err;
      this.waiter?.();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed')));
  }

  async request(method: string, uri: string, headers: Record<string, string>): Promise<RtspResponse> {
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++this.cseq}`, 'User-Agent: sharpeyes'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    this.sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    for (;;) {
      const res = this.take();
      if (res) return res;
      if (this.error) throw this.error;
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
  }

  private take(): RtspResponse | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = this.buf.subarray(0, end).toString('utf8').split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of head.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    if (this.buf.length < end + 4 + len) return undefined;
    const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
    this.buf = this.buf.subarray(end + 4 + len);
    const m = /^RTSP\/1\.0 (\d{3}) ?(.*)$/.exec(head[0] ?? '');
    if (!m) throw new RtspError('not an RTSP response', { line: (head[0] ?? '').slice(0, 60) });
    return { status: Number(m[1]), reason: m[2] ?? '', headers, body };
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * Checks an RTSP URL the cheap way: DESCRIBE over TCP (answering one auth challenge), no media.
 * Resolves with the status and SDP tracks; rejects only when the camera cannot be reached.
 */
export async function probeRtsp(url: string, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const u = parseRtspUrl(url);
  const sock = connect({ host: u.host, port: u.port });
  const timeout = opts.timeoutMs ?? 5000;
  sock.setTimeout(timeout, () => sock.destroy(new Error(`no answer within ${timeout} ms`)));
  const conn = new RtspConnection(sock);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    const headers = { Accept: 'application/sdp' };
    let res = await conn.request('DESCRIBE', u.bare, headers);
    const challenge = res.headers['www-authenticate'];
    if (res.status === 401 && challenge && u.username !== undefined) {
      const auth = authorization(challenge, 'DESCRIBE', u.bare, u.username, u.password ?? '');
      res = await conn.request('DESCRIBE', u.bare, { ...headers, Authorization: auth });
    }
    const media = res.status === 200 ? parseSdp(res.body) : [];
    const video = media.find((m) => m.kind === 'video')?.codec;
    return {
      ok: res.status === 200 && video !== undefined,
      status: res.status,
      ...(res.headers['server'] ? { server: res.headers['server'] } : {}),
      media,
      ...(video ? { video } : {}),
    };
  } catch (err) {
    throw new RtspError(
      `probe of ${redactRtspUrl(url)} failed: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  } finally {
    conn.close();
  }
}
