import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { LiveSession } from '../../streams/live-session.js';
import type { StreamName, UpstreamHub } from '../../streams/upstream-hub.js';
import { headerToken } from '../api/authenticate.js';
import type { RefusalAudit } from '../api/refusal-audit.js';
import type { AuthSession } from '../auth/auth-service.js';
import { looksLikeMediaToken } from '../auth/media-urls.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { SharedFrames, writeFramed } from './ws-frames.js';

const PATH = /^\/live\/([A-Za-z0-9_.:-]{1,64})\/?$/;
/** WebSocket close code (application range) when the viewer's session ends: the player stops retrying. */
export const SESSION_ENDED_CLOSE = 4401;

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
 * `WebSocket /live/{cameraId}?token=…&stream=sub|main`: authenticated by a signed media URL (or a
 * Bearer header), limited to the user's scope (unknown and out-of-scope cameras both answer 404, so
 * scope leaks nothing; an out-of-scope try is audited as access.denied), audited on every open, and
 * closed with code 4401 when its session ends. Other upgrades (socket.io's `/socket.io/`) are left alone.
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
  const refusals = svc.parts.get('refusals') as RefusalAudit | undefined;

  /**
   * Issue 15: a browser opens `/live/{camera}` with a signed media URL (`?token=m1.…`, from
   * POST /api/media/sign, bound to this path, stream and meta, valid 60 s); a tool that can set
   * headers may send `Authorization: Bearer <session token>` on the upgrade instead. A session token
   * in the query string is refused (`token_in_url`): it would land in logs, history and Referers.
   */
  const authenticateUpgrade = async (
    req: IncomingMessage,
    url: URL,
  ): Promise<{ session: AuthSession } | { refused: true; code: string; message: string }> => {
    const bearer = headerToken(req);
    if (bearer !== undefined) {
      const session = await auth.resolveSession(bearer);
      return session
        ? { session }
        : {
            refused: true,
            code: 'unauthenticated',
            message: 'the session has ended or the token is wrong: log in again',
          };
    }
    const token = url.searchParams.get('token');
    if (token === null)
      return {
        refused: true,
        code: 'unauthenticated',
        message: 'a signed media URL (token query parameter) is required',
      };
    if (!looksLikeMediaToken(token))
      return {
        refused: true,
        code: 'token_in_url',
        message:
          'a session token is not accepted in a URL: open /live with a signed URL from POST /api/media/sign',
      };
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const v = auth.mediaUrls.verify(q === -1 ? raw : raw.slice(0, q), url.searchParams, token);
    if (!v.ok) return { refused: true, code: v.code, message: v.message };
    const session = await auth.sessionByRef(v.ref);
    return session
      ? { session }
      : {
          refused: true,
          code: 'session_ended',
          message: 'the session this URL was signed for has ended: log in again',
        };
  };
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
    authenticateUpgrade(req, url)
      .then(async (r) => {
        if ('refused' in r) {
          rejected.inc({ reason: r.code });
          refusals?.recordUpgrade({ path: url.pathname, address: req.socket.remoteAddress }, 401, r.code);
          return refuse(socket, 401, r.code, r.message);
        }
        const { session } = r;
        const user = session.user;
        if (!access.canSeeCamera(user, camera)) {
          rejected.inc({ reason: 'not_found' });
          if (svc.need('dir').camera(camera))
            refusals?.recordUpgrade(
              { path: url.pathname, address: req.socket.remoteAddress, user },
              404,
              'not_found',
              `camera:${camera}`,
            );
          return refuse(socket, 404, 'not_found', `camera ${camera} does not exist`);
        }
        // On disk before the first byte of footage is served.
        await audit.append({
          actor: user.username,
          action: 'footage.live',
          target: `camera:${camera}`,
          detail: { stream: streamParam, remote: req.socket.remoteAddress ?? null, via: session.via },
        });
        wss.handleUpgrade(req, socket, head, (ws) => {
          open(ws, user, camera, streamParam, url.searchParams.get('meta') === '1');
          // Issue 15: the viewer closes within seconds of a logout, expiry, disabled user or revoke.
          const unwatch = auth.watch.add({
            ref: session.ref,
            userId: user.id,
            expiresAtMs: Date.parse(session.expiresAt),
            close: (reason) => ws.close(SESSION_ENDED_CLOSE, `session ended: ${reason}`),
          });
          ws.once('close', unwatch);
        });
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
