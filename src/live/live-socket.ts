import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LiveSession } from '../../streams/live-session.js';
import type { StreamName, UpstreamHub } from '../../streams/upstream-hub.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { SharedFrames, writeFramed } from './ws-frames.js';

const PATH = /^\/live\/([A-Za-z0-9_.:-]{1,64})\/?$/;

/** Refuses an upgrade with a plain HTTP answer (the browser sees the WebSocket fail). */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' }[
    status
  ];
  socket.end(
    `HTTP/1.1 ${status} ${text ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface LiveSocketOptions {
  highWaterBytes?: number;
}

/**
 * `WebSocket /live/{cameraId}?token=…&stream=sub|main`: authenticated by session token, limited to
 * the user's scope (unknown and out-of-scope cameras both answer 404, so scope leaks nothing),
 * audited on every open. Other upgrades (socket.io's `/socket.io/`) are left alone.
 */
export function attachLiveSocket(
  svc: Service,
  hub: UpstreamHub,
  opts: LiveSocketOptions = {},
): () => Promise<void> {
  const http = svc.need('http');
  const auth = svc.need('auth');
  const access = svc.need('access');
  const audit = svc.need('audit');
  const { metrics, log } = svc;
  const rejected = metrics.counter('sharpeyes_live_rejected_total', 'Live video opens refused', ['reason']);
  const opens = metrics.counter('sharpeyes_live_opens_total', 'Live video sessions opened', ['stream']);
  const viewers = metrics.gauge('sharpeyes_live_viewers', 'Open live video sessions');
  const skipped = metrics.counter(
    'sharpeyes_live_skipped_fragments_total',
    'Fragments a slow viewer skipped',
  );
  const sendLatency = metrics.histogram(
    'sharpeyes_live_send_seconds',
    'Fragment arrival at the hub to hand-off to the viewer socket',
  );
  // perMessageDeflate stays off: the shared frames are uncompressed (and video does not deflate).
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 });
  const frames = new SharedFrames();
  const sockets = new Set<WebSocket>();

  const open = (ws: WebSocket, user: User, camera: string, stream: StreamName, meta: boolean) => {
    sockets.add(ws);
    viewers.inc();
    opens.inc({ stream });
    const session = new LiveSession(
      {
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        sendText: (t) => ws.send(t),
        // Framed once per fragment and shared by every viewer (ws-frames.ts).
        sendBinary: (d, cb) => writeFramed(ws, frames.binary(d), cb),
        sendTextThenBinary: (t, d, cb) => writeFramed(ws, frames.textThenBinary(t, d), cb),
        close: (code, reason) => ws.close(code, reason),
      },
      {
        camera,
        stream,
        meta,
        ...(opts.highWaterBytes ? { highWaterBytes: opts.highWaterBytes } : {}),
        onSent: (ms) => sendLatency.observe(ms / 1000),
        onSkip: (n) => skipped.inc(n),
      },
    );
    const unsubscribe = hub.subscribe(camera, stream, session, `live:${user.username}`);
    ws.on('error', (err) => log.debug({ err, camera }, 'live: viewer socket error'));
    ws.on('message', () => {}); // the protocol is one-way; ignore anything a client sends
    ws.once('close', () => {
      session.detach();
      unsubscribe();
      sockets.delete(ws);
      viewers.dec();
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = PATH.exec(url.pathname);
    if (!m) return; // not ours
    const camera = m[1] as string;
    const streamParam = url.searchParams.get('stream') ?? 'sub';
    socket.on('error', (err) => log.debug({ err }, 'live: upgrade socket error'));
    if (streamParam !== 'sub' && streamParam !== 'main') {
      rejected.inc({ reason: 'bad_request' });
      return refuse(
        socket,
        400,
        'bad_request',
        `stream must be sub or main, not ${streamParam.slice(0, 20)}`,
      );
    }
    auth
      .resolve(url.searchParams.get('token') ?? undefined)
      .then((user) => {
        if (!user) {
          rejected.inc({ reason: 'unauthenticated' });
          return refuse(socket, 401, 'unauthenticated', 'a valid token query parameter is required');
        }
        if (!access.canSeeCamera(user, camera)) {
          rejected.inc({ reason: 'not_found' });
          return refuse(socket, 404, 'not_found', `camera ${camera} does not exist`);
        }
        // On disk before the first byte of footage is served.
        audit.append({
          actor: user.username,
          action: 'footage.live',
          target: `camera:${camera}`,
          detail: { stream: streamParam, remote: req.socket.remoteAddress ?? null },
        });
        wss.handleUpgrade(req, socket, head, (ws) =>
          open(ws, user, camera, streamParam, url.searchParams.get('meta') === '1'),
        );
      })
      .catch((err: unknown) => {
        log.error({ err, camera }, 'live: upgrade failed');
        refuse(socket, 503, 'unavailable', 'live video is unavailable');
      });
  };

  http.on('upgrade', onUpgrade);
  // Upgraded sockets hold http.close() open: they are closed (then cut) before the server stops.
  return async () => {
    http.off('upgrade', onUpgrade);
    for (const ws of sockets) ws.close(1001, 'service stopping');
    const until = Date.now() + 500;
    while (sockets.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const ws of sockets) ws.terminate();
    wss.close();
  };
}
