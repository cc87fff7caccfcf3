// Live video tiles. The live part of the service (web/live/) provides the MSE player as an ES
// module; this adapter finds it and mounts it, and falls back to a snapshot refreshed every 2 s
// when the module or the camera's stream is not available, so a page never breaks on it.
import { signUrl } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const CANDIDATES = ['/live/player.js', '/live/mse-player.js'];
let found;

export async function playerModule() {
  found ??= (async () => {
    for (const url of CANDIDATES) {
      try {
        const head = await fetch(url, { method: 'HEAD' });
        if (!head.ok || !(head.headers.get('content-type') ?? '').includes('javascript')) continue;
        return await import(url);
      } catch (err) {
        console.warn('console: live player module failed to load', url, err);
      }
    }
    return undefined;
  })();
  return found;
}

/** Calls whichever entry point the live module exports; returns a stop function or undefined. */
function startPlayer(mod, box, video, camera, stream) {
  // The player asks for a short-lived signed URL for each (re)connect: no session token in any URL.
  const opts = { cameraId: camera.id, camera: camera.id, stream, video, container: box, signUrl };
  const fn = mod.createPlayer ?? mod.mountPlayer ?? mod.play ?? mod.attach ?? mod.default;
  let handle;
  if (typeof mod.MsePlayer === 'function') handle = new mod.MsePlayer(video, opts);
  else if (typeof mod.LivePlayer === 'function') handle = new mod.LivePlayer(video, opts);
  else if (typeof fn === 'function') handle = fn(video, opts);
  else return undefined;
  if (handle && typeof handle.start === 'function') void handle.start();
  return () => {
    const stop = handle?.destroy ?? handle?.stop ?? handle?.close;
    if (typeof stop === 'function') stop.call(handle);
    else if (typeof handle === 'function') handle();
  };
}

/** A tile with the camera's name; `el` goes in the page, `destroy()` stops the stream. */
export function liveTile(camera, { stream = 'sub', snapshotOnly = false } = {}) {
  const label = h('span', { class: 'label' }, camera.name ?? camera.id);
  const box = h('div', { class: 'video-box', dataset: { camera: camera.id, stream } }, label);

  let stop;
  let snapTimer;
  let dead = false;

  const snapshots = () => {
    const img = snapshotImg(camera.id, { refreshMs: 2000 });
    snapTimer = img.timer;
    box.prepend(img.el);
  };

  if (snapshotOnly) snapshots();
  else
    void playerModule().then((mod) => {
      if (dead) return;
      const video = h('video', { muted: true, autoplay: true, playsInline: true });
      try {
        stop = mod ? startPlayer(mod, box, video, camera, stream) : undefined;
      } catch (err) {
        console.warn('console: live player failed', err);
        stop = undefined;
      }
      if (stop) box.prepend(video);
      else snapshots();
    });

  return {
    el: box,
    destroy() {
      dead = true;
      snapTimer?.stop();
      stop?.();
    },
  };
}

const SNAPSHOT_URLS = [
  (id) => `/api/cameras/${encodeURIComponent(id)}/snapshot`, // cameras API (issue 5)
  (id) => `/api/live/${encodeURIComponent(id)}/frame.jpg`, // the live relay's JPEG fallback
];

/**
 * A camera still: the cameras API's snapshot, else the live relay's JPEG frame, else "—".
 * With `refreshMs` it reloads periodically; `timer.stop()` ends that.
 */
export function snapshotImg(cameraId, { refreshMs } = {}) {
  const img = h('img', { alt: cameraId, class: 'snapshot' });
  let source = 0;
  let interval;
  // One signed URL serves the refreshes of its lifetime (`ts`, the cache buster, is not signed).
  let signed = { source: -1, url: '', at: 0 };
  const load = async () => {
    const make = SNAPSHOT_URLS[source];
    if (!make) return;
    if (signed.source !== source || Date.now() - signed.at > 40_000) {
      const at = Date.now();
      try {
        signed = { source, url: await signUrl(make(cameraId)), at };
      } catch (err) {
        console.warn('console: could not sign a snapshot URL', err);
        return;
      }
    }
    img.src = `${signed.url}&ts=${Date.now()}`;
  };
  img.onerror = () => {
    source += 1;
    if (source < SNAPSHOT_URLS.length) return void load();
    clearInterval(interval);
    img.replaceWith(h('span', { class: 'muted' }, t('noData')));
  };
  void load();
  if (refreshMs) interval = setInterval(() => void load(), refreshMs);
  return { el: img, timer: { stop: () => clearInterval(interval) } };
}
