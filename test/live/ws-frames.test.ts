import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { frameMessage, SharedFrames, writeFramed } from '../../src/live/ws-frames.js';

// The relay's server settings (src/live/live-socket.ts).
let wss: WebSocketServer;
let port: number;
let onConnection: (ws: WebSocket) => void = () => {};

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  port = (wss.address() as AddressInfo).port;
  wss.on('connection', (ws) => onConnection(ws));
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

/** Opens a raw TCP WebSocket client and returns the exact bytes the server sends after the 101, up to `bytes`. */
async function rawReceive(send: (ws: WebSocket) => void, bytes: number): Promise<Buffer> {
  onConnection = send;
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let got = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0 && got.length - end - 4 >= bytes) {
        sock.destroy();
        resolve(got.subarray(end + 4));
      }
    });
  });
}

describe('shared WebSocket frames', () => {
  /** RFC 6455 length of an unmasked frame of n payload bytes. */
  const frameLength = (n: number) => n + (n < 126 ? 2 : n < 65536 ? 4 : 10);

  it.each([0, 1, 125, 126, 65535, 65536, 200_000])(
    'a keyframe header + %i-byte fragment, then the fragment again: the bytes ws.send puts on the wire',
    async (size) => {
      const data = randomBytes(size);
      const header = JSON.stringify({ type: 'fragment', wallclock: Date.now(), keyframe: true, skipped: 0 });
      const length = frameLength(Buffer.byteLength(header)) + 2 * frameLength(size);
      const viaWs = await rawReceive((ws) => {
        ws.send(header);
        ws.send(data, { binary: true });
        ws.send(data, { binary: true });
      }, length);
      const frames = new SharedFrames();
      const shared = await rawReceive((ws) => {
        writeFramed(ws, frames.textThenBinary(header, data));
        writeFramed(ws, frames.binary(data));
      }, length);
      expect(viaWs.length).toBe(length);
      expect(shared.length).toBe(length);
      expect(shared.equals(viaWs)).toBe(true);
    },
  );

  it('frames each payload once, whatever the number of viewers', () => {
    const frames = new SharedFrames();
    const data = randomBytes(5000);
    expect(frames.binary(data)).toBe(frames.binary(data));
    expect(frames.textThenBinary('{"a":1}', data)).toBe(frames.textThenBinary('{"a":1}', data));
    expect(frames.textThenBinary('{"a":2}', data)).not.toBe(frames.textThenBinary('{"a":1}', data));
    expect(frameMessage('hé', 1)).toEqual(Buffer.from([0x81, 3, 0x68, 0xc3, 0xa9]));
  });

  it('reports an error instead of writing to a socket that is no longer open', async () => {
    const err = await new Promise<Error | null | undefined>((resolve) => {
      onConnection = (ws) => {
        ws.close(1000, 'bye');
        writeFramed(ws, frameMessage(Buffer.from('late'), 2), resolve);
      };
      const sock = connect(port, '127.0.0.1', () =>
        sock.write(
          'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
      sock.on('data', () => sock.destroy());
    });
    expect(err?.message).toMatch(/not open/);
  });
});
