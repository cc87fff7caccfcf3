import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/**
 * Frames a live fragment once for every viewer. `ws.send` frames per socket (a header buffer, a
 * two-buffer writev), and a keyframe's JSON header was a second writev. Here each fragment is framed
 * once into one buffer, the same buffer is written to every viewer's socket, and a keyframe's header
 * goes out in the same write as its fragment (one syscall per viewer per fragment, always). See
 * bench/README.md (live) for the cost. The bytes on the wire are exactly those `ws.send` writes:
 * unmasked, FIN set, no RSV1 — which is why the server must run with `perMessageDeflate: false`.
 */

/**
 * One final, unmasked WebSocket frame (RFC 6455 §5.2; opcode 1 = text, 2 = binary), header and
 * payload in one buffer: what ws's `Sender.frame` builds for a server, without its two-buffer writev.
 */
export function frameMessage(data: Buffer | string, opcode: 1 | 2): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x80 | opcode; // FIN, no RSV bits
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(out, head);
  return out;
}

interface Framed {
  binary?: Buffer;
  /** Header text + binary frames, by header text (viewers mostly share one: `skipped` differs). */
  withText?: Map<string, Buffer>;
}

/** Frames per payload buffer, memoised on the buffer itself (the hub hands every viewer the same one). */
export class SharedFrames {
  private readonly cache = new WeakMap<Buffer, Framed>();

  /** The binary frame of `data`. */
  binary(data: Buffer): Buffer {
    const f = this.entry(data);
    f.binary ??= frameMessage(data, 2);
    return f.binary;
  }

  /** A text frame of `text` followed by the binary frame of `data`, as one buffer. */
  textThenBinary(text: string, data: Buffer): Buffer {
    const f = this.entry(data);
    f.withText ??= new Map();
    let both = f.withText.get(text);
    if (!both) {
      both = Buffer.concat([frameMessage(text, 1), this.binary(data)]);
      f.withText.set(text, both);
    }
    return both;
  }

  private entry(data: Buffer): Framed {
    let f = this.cache.get(data);
    if (!f) {
      f = {};
      this.cache.set(data, f);
    }
    return f;
  }
}

/** ws keeps its TCP socket private; the relay writes pre-framed bytes to it (as broadcast servers do). */
function rawSocket(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket;
}

/**
 * Writes already framed bytes to a server-side WebSocket, in order with its own sends (ws writes
 * synchronously when permessage-deflate is off). `sent` gets an error if the socket is not open.
 */
export function writeFramed(ws: WebSocket, frames: Buffer, sent?: (err?: Error | null) => void): void {
  const socket = rawSocket(ws);
  if (ws.readyState !== WebSocket.OPEN || !socket) {
    sent?.(new Error(`WebSocket is not open: readyState ${ws.readyState}`));
    return;
  }
  socket.write(frames, sent);
}
