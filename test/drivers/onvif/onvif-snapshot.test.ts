import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentials } from '../../../drivers/onvif/onvif-camera.js';
import { fetchSnapshot } from '../../../drivers/onvif/onvif-snapshot.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
const CRED = { username: 'admin', password: 'cam-secret' };

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer;
}
type Handler = (path: string, headers: IncomingHttpHeaders) => Answer;

/** A camera-like HTTP server that records every request's Authorization header. */
async function host(
  handler: Handler,
): Promise<{ port: number; seen: { path: string; auth: string | undefined }[]; server: Server }> {
  const seen: { path: string; auth: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    const out = handler(req.url ?? '', req.headers);
    res.writeHead(out.status, out.headers ?? {});
    res.end(out.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, seen, server };
}

const digestOrJpeg: Handler = (_p, h): Answer =>
  h.authorization?.startsWith('Digest ')
    ? { status: 200, headers: { 'content-type': 'image/jpeg' }, body: JPEG }
    : { status: 401, headers: { 'www-authenticate': 'Digest realm="cam", nonce="abc", qop="auth"' } };

describe('ONVIF snapshots send the camera credentials only to its own host', () => {
  // The camera is 127.0.0.1; "another host" is the same machine named localhost: a different host name.
  let camera: Awaited<ReturnType<typeof host>>;
  let foreign: Awaited<ReturnType<typeof host>>;
  let open: Awaited<ReturnType<typeof host>>;
  beforeAll(async () => {
    camera = await host((path, h) => {
      if (path.startsWith('/redirect')) {
        return h.authorization
          ? { status: 302, headers: { location: `http://localhost:${foreign.port}/snap.jpg` } }
          : { status: 401, headers: { 'www-authenticate': 'Basic realm="cam"' } };
      }
      return digestOrJpeg(path, h);
    });
    foreign = await host(() => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="evil"' } }));
    open = await host(() => ({ status: 200, headers: { 'content-type': 'image/jpeg' }, body: JPEG }));
  });
  afterAll(() => {
    for (const h of [camera, foreign, open]) h.server.close();
  });

  it('answers the digest challenge of its own host', async () => {
    const jpeg = await fetchSnapshot(`http://127.0.0.1:${camera.port}/snap.jpg`, CRED, {
      ownHost: '127.0.0.1',
    });
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(camera.seen.at(-1)?.auth).toMatch(/^Digest username="admin"/);
  });

  it('refuses a snapshot URI of another host that asks for credentials, and never sends them there', async () => {
    await expect(
      fetchSnapshot(`http://localhost:${foreign.port}/snap.jpg`, CRED, { ownHost: '127.0.0.1' }),
    ).rejects.toThrow(
      /names another host \(localhost:\d+\); its credentials are only sent to its own host 127\.0\.0\.1/,
    );
    expect(foreign.seen.length).toBeGreaterThan(0);
    expect(foreign.seen.every((s) => s.auth === undefined)).toBe(true);
  });

  it('fetches a snapshot of another host that needs no credentials, without them', async () => {
    const jpeg = await fetchSnapshot(`http://localhost:${open.port}/snap.jpg`, CRED, {
      ownHost: '127.0.0.1',
    });
    expect(jpeg.length).toBe(JPEG.length);
    expect(open.seen.at(-1)?.auth).toBeUndefined();
  });

  it('a redirect from its own host to another host does not carry the credentials', async () => {
    const before = foreign.seen.length;
    await expect(
      fetchSnapshot(`http://127.0.0.1:${camera.port}/redirect`, CRED, { ownHost: '127.0.0.1' }),
    ).rejects.toThrow(/another host/);
    const hop = foreign.seen.slice(before);
    expect(hop.length).toBeGreaterThan(0);
    expect(hop.every((s) => s.auth === undefined)).toBe(true);
  });

  it('credentials embedded in a URI of another host are not sent either', async () => {
    const before = foreign.seen.length;
    await expect(
      fetchSnapshot(`http://admin:cam-secret@localhost:${foreign.port}/snap.jpg`, undefined, {
        ownHost: '127.0.0.1',
      }),
    ).rejects.toThrow(/another host/);
    expect(foreign.seen.slice(before).every((s) => s.auth === undefined)).toBe(true);
  });

  it.each([
    ['rtsp://127.0.0.1:554/main', '127.0.0.1', 'rtsp://admin:cam-secret@127.0.0.1:554/main'],
    ['rtsp://CAM.example:554/main', 'cam.example', 'rtsp://admin:cam-secret@CAM.example:554/main'],
    ['rtsp://10.9.9.9:554/main', '127.0.0.1', 'rtsp://10.9.9.9:554/main'],
    ['rtsp://user:pw@10.9.9.9/main', '127.0.0.1', 'rtsp://user:pw@10.9.9.9/main'],
  ])('stream URI %s of a camera at %s gets %s', (uri, own, expected) => {
    expect(withCredentials(uri, CRED, own)).toBe(expected);
  });
});
