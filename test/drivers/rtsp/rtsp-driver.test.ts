import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grabJpeg, startFrameReader } from '../../../drivers/rtsp/rtsp-frame-reader.js';
import { parseChallenge, parseSdp, probeRtsp } from '../../../drivers/rtsp/rtsp-probe.js';
import {
  parseRtspUrl,
  RtspError,
  redactRtspUrl,
  rtspWithCredentials,
} from '../../../drivers/rtsp/rtsp-url.js';
import { type RtspSource, startRtspSource } from '../../../drivers/simulator/rtsp-source.js';

describe('credentials stay out of text', () => {
  it.each([
    [
      'rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101',
      'rtsp://[redacted]@10.0.0.5:554/Streaming/Channels/101',
    ],
    ['rtsp://10.0.0.5/live', 'rtsp://10.0.0.5/live'],
    // Dahua-style query credentials
    [
      'rtsp://10.0.0.6/cam/realmonitor?channel=1&user=admin&password=p4ss&subtype=0',
      'rtsp://10.0.0.6/cam/realmonitor?channel=1&user=admin&password=[redacted]&subtype=0',
    ],
    ['ffmpeg: rtsp://u:p%40ss@h/x: 401 Unauthorized', 'ffmpeg: rtsp://[redacted]@h/x: 401 Unauthorized'],
  ])('%s', (input, want) => {
    expect(redactRtspUrl(input)).toBe(want);
  });

  it('an RtspError never carries the password in its message', () => {
    expect(new RtspError('cannot open rtsp://admin:topsecret@h/x').message).not.toContain('topsecret');
  });
});

describe('URL handling', () => {
  it.each([
    [
      'rtsp://a%40b:p%3Aw@cam.local:8554/main',
      { host: 'cam.local', port: 8554, username: 'a@b', password: 'p:w', bare: 'rtsp://cam.local:8554/main' },
    ],
    ['rtsp://cam.local/main', { host: 'cam.local', port: 554, bare: 'rtsp://cam.local/main' }],
    // The port ffmpeg dials for RTSP over TLS; an IPv6 host as a socket takes it.
    ['rtsps://cam.local/main', { host: 'cam.local', port: 322, bare: 'rtsps://cam.local/main' }],
    ['rtsp://[::1]:8554/main', { host: '::1', port: 8554, bare: 'rtsp://[::1]:8554/main' }],
  ])('parses %s', (url, want) => {
    expect(parseRtspUrl(url)).toEqual(want);
  });

  it.each([['http://cam/x'], ['not a url']])('refuses %s', (url) => {
    expect(() => parseRtspUrl(url)).toThrow(RtspError);
  });

  it('adds credentials only to a URL without them', () => {
    expect(rtspWithCredentials('rtsp://h/x', 'u', 'p w')).toBe('rtsp://u:p%20w@h/x');
    expect(rtspWithCredentials('rtsp://a:b@h/x', 'u', 'p')).toBe('rtsp://a:b@h/x');
  });

  it('parses SDP tracks and auth challenges', () => {
    const sdp =
      'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:stream=0\r\nm=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';
    expect(parseSdp(sdp)).toEqual([
      { kind: 'video', codec: 'h264', control: 'stream=0' },
      { kind: 'audio', codec: 'pcma' },
    ]);
    expect(parseChallenge('Digest realm="IP Camera(C8842)", nonce="abc", stale="FALSE"')).toEqual({
      scheme: 'digest',
      params: { realm: 'IP Camera(C8842)', nonce: 'abc', stale: 'FALSE' },
    });
  });
});

describe('against a real RTSP server', () => {
  let src: RtspSource;
  beforeAll(async () => {
    src = await startRtspSource({
      width: 160,
      height: 90,
      fps: 10,
      paths: ['main'],
      username: 'viewer',
      password: 'pa ss',
    });
  });
  afterAll(async () => {
    await src.stop();
  });

  it.each([
    ['with credentials', () => src.url('main'), { ok: true, status: 200, video: 'h264' }],
    ['without credentials', () => `rtsp://127.0.0.1:${src.port}/main`, { ok: false, status: 401 }],
    ['unknown path', () => src.url('nope'), { ok: false, status: 404 }],
  ])('DESCRIBE probe %s', async (_name, url, want) => {
    expect(await probeRtsp(url())).toMatchObject(want);
  });

  it('a probe of a closed port rejects without the password in the message', async () => {
    const err = await probeRtsp('rtsp://u:hidden-pw@127.0.0.1:1/x', { timeoutMs: 2000 }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(RtspError);
    expect((err as Error).message).not.toContain('hidden-pw');
  });

  it('grabs one JPEG frame', async () => {
    const jpeg = await grabJpeg(src.url('main'));
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('a failed grab names the cause but not the password', async () => {
    const err = await grabJpeg(src.url('nope')).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/404/);
    expect((err as Error).message).not.toContain('pa ss');
    expect((err as Error).message).not.toContain('pa%20ss');
  });

  it('the frame reader sees media, then the end when the stream drops', async () => {
    let bytes = 0;
    const ended = new Promise<string>((resolve) => {
      startFrameReader(src.url('main'), { onData: (n) => (bytes += n), onEnd: resolve });
    });
    while (bytes === 0) await new Promise((r) => setTimeout(r, 100));
    await src.drop();
    const reason = await ended;
    await src.resume();
    expect(bytes).toBeGreaterThan(0);
    expect(reason).toMatch(/ffmpeg exited/);
  });
});
