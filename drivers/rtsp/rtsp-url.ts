/**
 * RTSP URLs carry credentials (`rtsp://user:pass@host/…`): every log line and error message of
 * this driver goes through `redactRtspUrl` first.
 */

export class RtspError extends Error {
  readonly prefix = 'rtsp';
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`rtsp: ${redactText(message)}`, options);
    this.name = 'RtspError';
  }
}

/** `rtsp://user:pass@host:554/x` → `rtsp://[redacted]@host:554/x`; query secrets too. */
export function redactRtspUrl(url: string): string {
  return redactText(url);
}

/**
 * Redacts userinfo in any URL inside a text (ffmpeg echoes the input URL in its errors), and the
 * `password=`/`pwd=`/`token=` query parameters some vendors use instead (Dahua `?user=…&password=…`,
 * Uniview `?pwd=…`).
 */
export function redactText(s: string): string {
  return s
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^@/\s]+)@/gi, '$1[redacted]@')
    .replace(/([?&](?:password|passwd|pwd|pass|token|auth)=)[^&\s]*/gi, '$1[redacted]');
}

export interface ParsedRtspUrl {
  /** The host to connect to (an IPv6 address without brackets). */
  host: string;
  /** The URL's port, else the one ffmpeg dials (554, 322 for `rtsps:`). */
  port: number;
  /** URL without userinfo, as sent in RTSP request lines. */
  bare: string;
  username?: string;
  password?: string;
}

export function parseRtspUrl(url: string): ParsedRtspUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RtspError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') {
    throw new RtspError(`expected rtsp:// URL, got ${u.protocol}//`, { url: redactRtspUrl(url) });
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  // The ports ffmpeg dials when the URL names none (RTSP 554, RTSP over TLS 322).
  const port = u.port ? Number(u.port) : u.protocol === 'rtsps:' ? 322 : 554;
  // What a socket connects to: an IPv6 address without its URL brackets.
  const host = u.hostname.replace(/^\[|\]$/g, '');
  u.username = '';
  u.password = '';
  return {
    host,
    port,
    bare: u.toString(),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/** Puts credentials into a URL that has none (config may give them apart from the URL). */
export function rtspWithCredentials(url: string, username?: string, password?: string): string {
  if (username === undefined) return url;
  const u = new URL(url);
  if (u.username) return url;
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password ?? '');
  return u.toString();
}
