// Live player: fragmented MP4 over the /live/{camera} WebSocket into Media Source Extensions.
// Protocol (DESIGN.md): a JSON text message with the codec first, then the binary init segment,
// then per fragment a JSON header {type:'fragment', wallclock, decodeTime, timescale} and the binary
// moof+mdat, starting at a keyframe. A browser without MSE (or without the codec) gets the
// JPEG fallback: /api/live/{camera}/frame.jpg polled once a second.

const LIVE_EDGE_S = 0.3; // where a seek lands, behind the end of the buffer
const SEEK_IF_BEHIND_S = 1.0; // further behind than this: jump to the live edge
const SPEED_UP_IF_BEHIND_S = 0.5; // between this and the seek: play at 1.25x
const KEEP_BEHIND_S = 10; // buffer kept behind the playhead

/** WebSocket close code the relay sends when the viewer's session ended (logout, expiry, disabled). */
export const SESSION_ENDED = 4401;

/**
 * Signs same-origin media paths with the session token in the Authorization header
 * (POST /api/media/sign): the signed URLs live about a minute and carry no session token.
 */
export async function signMediaUrls(paths, token = localStorage.getItem('sharpeyes.token') ?? '') {
  const res = await fetch('/api/media/sign', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ urls: paths }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.error?.message ?? `media URL: HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body.urls;
}

/** The relative path of a camera's live stream (signed before use; see `liveUrl`). */
export function livePath(cameraId, { stream = 'sub' } = {}) {
  // meta=1: the relay interleaves JSON timing headers (for the tile's latency) and upstream states.
  return `/live/${encodeURIComponent(cameraId)}?${new URLSearchParams({ stream, meta: '1' })}`;
}

/** A signed `ws(s)://…/live/{camera}` URL, good for about a minute: sign again for each connect. */
export async function liveUrl(cameraId, opts = {}) {
  const sign = opts.signUrl ?? (async (u) => (await signMediaUrls([u], opts.token))[0]);
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${location.host}${await sign(livePath(cameraId, opts))}`;
}

export function mseSupported(codec) {
  const MS = globalThis.MediaSource ?? globalThis.ManagedMediaSource;
  return Boolean(MS && (!codec || MS.isTypeSupported(codec)));
}

/**
 * `new MsePlayer(video, {cameraId, stream, token | signUrl, onStatus})`, then `start()`; `destroy()`
 * stops it. Each connect signs a fresh media URL; a relay close with code 4401 (the session ended)
 * stops the player (state `ended`) instead of retrying.
 * Status (also a 'livestatus' event on the video): {state: connecting|live|lost|ended|jpeg,
 * latencyMs, skipped}. Latency is from a fragment's arrival at the server to its frame on screen.
 */
export class MsePlayer {
  constructor(video, opts = {}) {
    this.video = video;
    this.opts = opts;
    this.status = { state: 'connecting', latencyMs: undefined, skipped: 0, mode: 'mse' };
    this.stopped = true;
    this.retryMs = 500;
    this.queue = [];
    this.offsetMs = 0;
    video.livePlayer = this; // for diagnostics and tests
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.video.muted = true;
    this.video.playsInline = true;
    this.tick = setInterval(() => this.catchUp(), 250);
    void this.connect();
  }

  destroy() {
    this.stopped = true;
    clearInterval(this.tick);
    clearTimeout(this.retryTimer);
    clearTimeout(this.jpegTimer);
    this.ws?.close();
    this.resetMedia();
    this.jpeg?.remove();
  }

  stop() {
    this.destroy();
  }

  async connect() {
    this.setStatus({ state: 'connecting' });
    let url;
    try {
      url = this.opts.url ?? (await liveUrl(this.opts.cameraId ?? this.opts.camera, this.opts));
    } catch (err) {
      if (this.stopped) return;
      // 401: the session is over; anything else (network) is retried like a lost stream.
      if (err.status === 401) return this.endSession();
      return this.retryLater();
    }
    if (this.stopped) return;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') this.onText(JSON.parse(ev.data));
      else this.onBinary(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped || this.status.mode === 'jpeg') return;
      if (ev.code === SESSION_ENDED) return this.endSession();
      this.retryLater();
    };
  }

  /** The session is over: stop for good (the page's login screen takes over). */
  endSession() {
    this.stopped = true;
    clearInterval(this.tick);
    clearTimeout(this.retryTimer);
    clearTimeout(this.jpegTimer);
    this.setStatus({ state: 'ended', reason: 'session' });
  }

  retryLater() {
    this.setStatus({ state: 'lost' });
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  onText(m) {
    if (m.type === 'init') {
      this.offsetMs = m.serverTime - Date.now();
      if (!mseSupported(m.codec)) return this.fallbackToJpeg(m.codec);
      this.retryMs = 500;
      this.setupMedia(m.codec);
    } else if (m.type === 'fragment') {
      // The hub stamped this before sending it: the offset is at least this (same clock: ~0).
      this.offsetMs = Math.max(this.offsetMs, m.wallclock - Date.now());
      this.nextMeta = m;
      this.status.skipped = m.skipped;
    } else if (m.type === 'state') {
      this.setStatus({ state: m.state === 'live' ? 'live' : m.state });
    } else if (m.type === 'end') {
      this.setStatus({ state: 'lost', reason: m.reason });
    }
  }

  onBinary(buf) {
    // Server arrival to browser arrival of this fragment (the network and relay leg), in ms.
    if (this.nextMeta) this.status.arrivalMs = Date.now() + this.offsetMs - this.nextMeta.wallclock;
    this.queue.push({ buf, meta: this.nextMeta });
    this.nextMeta = undefined;
    // A queue that grows while the tab is hidden is useless: keep from the last keyframe.
    if (this.queue.length > 50) {
      const k = this.queue.findLastIndex((q) => q.meta?.keyframe);
      if (k > 0) this.queue.splice(0, k);
    }
    this.pump();
  }

  setupMedia(codec) {
    this.resetMedia();
    const MS = globalThis.MediaSource ?? globalThis.ManagedMediaSource;
    const ms = new MS();
    this.ms = ms;
    this.video.disableRemotePlayback = true;
    this.objectUrl = URL.createObjectURL(ms);
    this.video.src = this.objectUrl;
    ms.addEventListener(
      'sourceopen',
      () => {
        if (this.ms !== ms) return;
        this.sb = ms.addSourceBuffer(codec);
        this.sb.mode = 'segments';
        this.sb.addEventListener('updateend', () => {
          this.markAppended();
          this.pump();
        });
        this.pump();
      },
      { once: true },
    );
  }

  resetMedia() {
    this.sb = undefined;
    this.queue = [];
    this.mark = undefined;
    this.appending = undefined;
    if (this.ms) {
      this.ms = undefined;
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.objectUrl);
    }
  }

  pump() {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0) return;
    const cur = this.video.currentTime;
    if (sb.buffered.length && cur - sb.buffered.start(0) > KEEP_BEHIND_S * 2) {
      sb.remove(0, cur - KEEP_BEHIND_S);
      return; // updateend pumps again
    }
    const { buf, meta } = this.queue.shift();
    this.appending = meta;
    try {
      sb.appendBuffer(buf);
      this.lastAppend = Date.now();
    } catch (err) {
      // QuotaExceeded or a decode error: start over from the next init.
      console.warn('live: append failed, reconnecting', err);
      this.ws?.close();
    }
  }

  /** Keeps the playhead near the live edge: jump gaps, seek when far behind, speed up a little. */
  catchUp() {
    const v = this.video;
    const b = v.buffered;
    if (!this.sb || b.length === 0) return;
    const end = b.end(b.length - 1);
    const cur = v.currentTime;
    let inRange = false;
    for (let i = 0; i < b.length; i++) if (cur >= b.start(i) && cur <= b.end(i)) inRange = true;
    const behind = end - cur;
    if (!inRange || behind > SEEK_IF_BEHIND_S) {
      v.currentTime = Math.max(b.start(b.length - 1), end - LIVE_EDGE_S);
      v.playbackRate = 1;
    } else {
      v.playbackRate = behind > SPEED_UP_IF_BEHIND_S ? 1.25 : 1;
    }
    if (v.paused) v.play().catch(() => {});
    const fresh = Date.now() - (this.lastAppend ?? 0) < 3000;
    this.setStatus(fresh ? { state: 'live', latencyMs: this.latency() } : { state: 'lost' });
  }

  /** A fragment with a header is in: its last frame (the buffer's end) reached the server at `wall`. */
  markAppended() {
    const meta = this.appending;
    this.appending = undefined;
    const b = this.sb?.buffered;
    if (!meta || !b?.length) return;
    this.mark = { end: b.end(b.length - 1), wall: meta.wallclock };
  }

  /**
   * Server-arrival-to-screen time of the frame at the playhead, in ms. Live media runs in real time,
   * so the frame at t reached the server (mark.end - t) before (or after) the marked fragment did.
   */
  latency() {
    if (!this.mark) return undefined;
    const shown = this.video.currentTime;
    const arrived = this.mark.wall - (this.mark.end - shown) * 1000;
    return Math.max(0, Math.round(Date.now() + this.offsetMs - arrived));
  }

  fallbackToJpeg(codec) {
    this.setStatus({ state: 'jpeg', mode: 'jpeg', reason: `no MSE for ${codec}` });
    this.ws?.close();
    const camera = this.opts.cameraId ?? this.opts.camera;
    const sign = this.opts.signUrl ?? (async (u) => (await signMediaUrls([u], this.opts.token))[0]);
    // One signed URL serves the polls of its lifetime (`t`, the cache buster, is not signed).
    let signed = { url: '', at: 0 };
    const img = document.createElement('img');
    img.className = 'live-jpeg';
    img.alt = camera;
    this.jpeg = img;
    this.video.hidden = true;
    this.video.after(img);
    const next = async () => {
      if (this.stopped) return;
      if (Date.now() - signed.at > 40_000) {
        const at = Date.now();
        const path = `/api/live/${encodeURIComponent(camera)}/frame.jpg?${new URLSearchParams({ stream: this.opts.stream ?? 'sub' })}`;
        try {
          signed = { url: await sign(path), at };
        } catch (err) {
          if (err.status === 401) return this.endSession();
          this.jpegTimer = setTimeout(() => void next(), 3000);
          return;
        }
      }
      img.src = `${signed.url}&t=${Date.now()}`;
    };
    img.onload = () => {
      this.setStatus({ state: 'jpeg', latencyMs: undefined });
      this.jpegTimer = setTimeout(() => void next(), 1000);
    };
    img.onerror = () => {
      this.setStatus({ state: 'lost' });
      this.jpegTimer = setTimeout(() => void next(), 3000);
    };
    void next();
  }

  setStatus(patch) {
    const prev = this.status;
    this.status = { ...prev, ...patch };
    if (prev.state === this.status.state && prev.latencyMs === this.status.latencyMs) return;
    this.opts.onStatus?.(this.status);
    this.video.dispatchEvent(new CustomEvent('livestatus', { detail: this.status }));
  }
}

export function createPlayer(video, opts) {
  return new MsePlayer(video, opts);
}

export default createPlayer;
