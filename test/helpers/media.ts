/**
 * A signed media URL (issue 15) for `path` (with its query), as the console gets one: POST
 * /api/media/sign with the session token in the header. Absolute; `ws: true` for a WebSocket.
 */
export async function signedUrl(
  httpUrl: string,
  token: string,
  path: string,
  opts: { ws?: boolean } = {},
): Promise<string> {
  const res = await fetch(`${httpUrl}/api/media/sign`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ urls: [path] }),
  });
  if (!res.ok) throw new Error(`signing ${path} failed: ${res.status} ${await res.text()}`);
  const [url] = ((await res.json()) as { urls: string[] }).urls;
  const base = opts.ws ? httpUrl.replace(/^http/, 'ws') : httpUrl;
  return `${base}${url}`;
}

/** The signed path only (for helpers that take a path, like `openLive`). */
export async function signedPath(httpUrl: string, token: string, path: string): Promise<string> {
  return (await signedUrl(httpUrl, token, path)).slice(httpUrl.length);
}
