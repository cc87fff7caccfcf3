// One wall tile: a live player with the camera's name, site, state and latency; an alarm tile also
// carries a banner with the priority, type, site and incident until the incident is acknowledged.
import { t } from '../js/i18n.js';
import { MsePlayer } from './player.js';

const STATE_KEY = {
  connecting: 'liveConnecting',
  live: 'liveLive',
  lost: 'liveLost',
  jpeg: 'liveJpeg',
  ended: 'liveEnded',
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * `createTile(camera, {stream, token})` → {el, camera, setAlarm(alarm|undefined), destroy()}.
 * `camera` is an entry of GET /api/live/cameras (id, name, siteName) or undefined for an empty tile;
 * `alarm` is `{colour, priority, title, detail}` (wall-alarms.js).
 */
export function createTile(camera, { stream = 'sub', token } = {}) {
  const root = el('div', 'live-tile');
  root.dataset.camera = camera?.id ?? '';
  root.dataset.stream = stream;
  if (!camera) {
    root.classList.add('empty');
    root.append(el('div', 'live-empty', t('wallEmptyTile')));
    return { el: root, camera, setAlarm() {}, destroy() {} };
  }
  const video = el('video', 'live-video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  const info = el('div', 'live-info');
  const name = el('span', 'live-name', camera.name ?? camera.id);
  const site = el('span', 'live-site', camera.siteName ?? '');
  const state = el('span', 'live-state', t(STATE_KEY.connecting));
  const latency = el('span', 'live-latency', '');
  info.append(name, site, state, latency);
  const banner = el('div', 'live-alarm-banner');
  banner.hidden = true;
  root.append(video, banner, info);
  root.dataset.state = 'connecting';

  const player = new MsePlayer(video, {
    cameraId: camera.id,
    stream,
    token,
    onStatus: (s) => {
      root.dataset.state = s.state;
      state.textContent = STATE_KEY[s.state] ? t(STATE_KEY[s.state]) : s.state;
      latency.textContent = s.latencyMs !== undefined && s.state === 'live' ? `${s.latencyMs} ms` : '';
      if (s.latencyMs !== undefined) root.dataset.latency = String(s.latencyMs);
    },
  });
  player.start();
  return {
    el: root,
    camera,
    player,
    setAlarm(alarm) {
      root.classList.toggle('alarm', Boolean(alarm));
      root.style.setProperty('--alarm-colour', alarm?.colour ?? 'transparent');
      banner.hidden = !alarm;
      root.dataset.incident = alarm?.incident ?? '';
      if (alarm) {
        banner.className = `live-alarm-banner p${alarm.priority}`;
        banner.replaceChildren(el('b', '', alarm.title), el('span', '', alarm.detail));
      }
    },
    destroy() {
      player.destroy();
    },
  };
}
