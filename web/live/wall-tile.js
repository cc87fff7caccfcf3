// One wall tile: a live player with the camera's name, site, live/lost state and latency.
import { MsePlayer } from './player.js';

const STATE_TEXT = { connecting: '…', live: 'LIVE', lost: 'LOST', jpeg: 'JPEG', ended: 'END' };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * `createTile(camera, {stream, token})` → {el, camera, setAlarm(colour|undefined), destroy()}.
 * `camera` is an entry of GET /api/live/cameras (id, name, siteName) or undefined for an empty tile.
 */
export function createTile(camera, { stream = 'sub', token } = {}) {
  const root = el('div', 'live-tile');
  root.dataset.camera = camera?.id ?? '';
  if (!camera) {
    root.classList.add('empty');
    root.append(el('div', 'live-empty', '+'));
    return { el: root, camera, setAlarm() {}, destroy() {} };
  }
  const video = el('video', 'live-video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  const info = el('div', 'live-info');
  const name = el('span', 'live-name', camera.name ?? camera.id);
  const site = el('span', 'live-site', camera.siteName ?? camera.site ?? '');
  const state = el('span', 'live-state', STATE_TEXT.connecting);
  const latency = el('span', 'live-latency', '');
  info.append(name, site, state, latency);
  root.append(video, info);
  root.dataset.state = 'connecting';

  const player = new MsePlayer(video, {
    cameraId: camera.id,
    stream,
    token,
    onStatus: (s) => {
      root.dataset.state = s.state;
      state.textContent = STATE_TEXT[s.state] ?? s.state;
      latency.textContent = s.latencyMs !== undefined && s.state === 'live' ? `${s.latencyMs} ms` : '';
      if (s.latencyMs !== undefined) root.dataset.latency = String(s.latencyMs);
    },
  });
  player.start();
  return {
    el: root,
    camera,
    player,
    setAlarm(colour) {
      root.classList.toggle('alarm', Boolean(colour));
      root.style.setProperty('--alarm-colour', colour ?? 'transparent');
    },
    destroy() {
      player.destroy();
    },
  };
}
