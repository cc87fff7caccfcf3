// The video wall: layouts 1/4/9/16 saved per operator (GET/PUT /api/wall), draggable tiles, the
// camera tree, sub-streams on the wall and the main stream full screen (double-click a tile), and
// alarm linkage: an incident's cameras take the first tiles, bordered in the incident's colour
// until it is acknowledged. Entry: `mountWall(root, {token, socket})` → stop function.
import { createTile } from './wall-tile.js';
import { renderTree } from './wall-tree.js';

export const LAYOUTS = [1, 4, 9, 16];

/** The tiles after an alarm: linked cameras first (at most `alarmTiles`), then the others in order. */
export function placeAlarmCameras(tiles, linked, layout, alarmTiles) {
  const first = [...new Set(linked)].slice(0, Math.min(alarmTiles, layout));
  const rest = tiles.filter((c) => c && !first.includes(c));
  return [...first, ...rest].slice(0, layout);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function loadSocketIo() {
  if (globalThis.io) return Promise.resolve(globalThis.io);
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/socket.io/socket.io.js';
    s.onload = () => resolve(globalThis.io);
    s.onerror = () => reject(new Error('socket.io client did not load'));
    document.head.append(s);
  });
}

export async function mountWall(root, opts = {}) {
  const token = opts.token ?? localStorage.getItem('sharpeyes.token');
  const api = async (path, init = {}) => {
    const res = await fetch(path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body?.error?.message ?? `${path}: HTTP ${res.status}`);
    return body;
  };

  const page = el('div', 'live-wall-page');
  const aside = el('aside', 'live-wall-tree');
  const main = el('section', 'live-wall-main');
  const bar = el('div', 'live-wall-bar');
  const grid = el('div', 'live-wall-grid');
  main.append(bar, grid);
  page.append(aside, main);
  root.append(page);

  let wall = await api('/api/wall');
  const cameras = new Map((await api('/api/live/cameras')).cameras.map((c) => [c.id, c]));
  renderTree(aside, await api('/api/live/tree'), {
    onPick: (id) => {
      const i = Array.from({ length: wall.layout }, (_, k) => k).find((k) => !wall.tiles[k]);
      setTiles(Object.assign([...wall.tiles], { [i ?? 0]: id }));
    },
  });

  /** cameraId → {incident, colour} while the incident is unacknowledged. */
  const alarms = new Map();
  let tiles = [];
  let saveTimer;
  let full;

  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      api('/api/wall', { method: 'PUT', body: JSON.stringify(wall) }).catch((e) =>
        console.warn('wall: save', e),
      );
    }, 300);
  };

  const layoutButtons = LAYOUTS.map((n) => {
    const b = el('button', 'live-layout', `${n}`);
    b.type = 'button';
    b.dataset.layout = String(n);
    b.addEventListener('click', () => {
      wall = { ...wall, layout: n };
      render();
      save();
    });
    return b;
  });
  bar.append(el('span', 'live-wall-title', 'Wall'), ...layoutButtons);

  function setTiles(next, persist = true) {
    wall = { ...wall, tiles: next.slice(0, 16).map((c) => c ?? null) };
    render();
    if (persist) save();
  }

  function render() {
    const n = wall.layout;
    const side = Math.sqrt(n);
    grid.style.gridTemplateColumns = `repeat(${side}, 1fr)`;
    grid.dataset.layout = String(n);
    for (const b of layoutButtons) b.classList.toggle('active', b.dataset.layout === String(n));
    const next = [];
    for (let i = 0; i < n; i++) {
      const id = wall.tiles[i] ?? null;
      const old = tiles[i];
      // Keep a tile that still shows the same camera: no reconnect, no black frame.
      next.push(old && (old.camera?.id ?? null) === id ? old : makeTile(id));
      if (old && next[i] !== old) old.destroy();
    }
    for (const t of tiles.slice(n)) t.destroy();
    tiles = next;
    grid.replaceChildren(...tiles.map((t) => t.el));
    tiles.forEach((t, i) => {
      t.el.dataset.index = String(i);
      t.setAlarm(t.camera ? alarms.get(t.camera.id)?.colour : undefined);
    });
  }

  function makeTile(id) {
    const cam = id ? (cameras.get(id) ?? { id, name: id }) : undefined;
    const tile = createTile(cam, { stream: 'sub', token });
    const e = tile.el;
    e.draggable = Boolean(cam);
    e.addEventListener('dragstart', (ev) =>
      ev.dataTransfer.setData('text/x-sharpeyes-tile', e.dataset.index),
    );
    e.addEventListener('dragover', (ev) => ev.preventDefault());
    e.addEventListener('drop', (ev) => {
      ev.preventDefault();
      const to = Number(e.dataset.index);
      const camId = ev.dataTransfer.getData('text/x-sharpeyes-camera');
      const from = ev.dataTransfer.getData('text/x-sharpeyes-tile');
      const t = [...wall.tiles];
      while (t.length < wall.layout) t.push(null);
      if (camId) t[to] = camId;
      else if (from !== '') [t[to], t[Number(from)]] = [t[Number(from)], t[to]];
      setTiles(t);
    });
    if (cam) e.addEventListener('dblclick', () => openFull(cam));
    return tile;
  }

  function openFull(cam) {
    closeFull();
    const overlay = el('div', 'live-full');
    const tile = createTile(cam, { stream: 'main', token });
    const close = el('button', 'live-full-close', '×');
    close.type = 'button';
    close.addEventListener('click', closeFull);
    overlay.append(tile.el, close);
    page.append(overlay);
    full = { overlay, tile };
  }

  function closeFull() {
    full?.tile.destroy();
    full?.overlay.remove();
    full = undefined;
  }
  const onKey = (ev) => {
    if (ev.key === 'Escape') closeFull();
  };
  document.addEventListener('keydown', onKey);

  async function onIncident(inc) {
    if (!wall.alarmTiles) return;
    const linked = await api(`/api/incidents/${encodeURIComponent(inc.id)}/cameras`);
    const ids = linked.cameras.map((c) => c.camera);
    if (ids.length === 0) return;
    for (const c of linked.cameras) {
      alarms.set(c.camera, { incident: inc.id, colour: linked.colour });
      if (!cameras.has(c.camera)) cameras.set(c.camera, c);
    }
    setTiles(placeAlarmCameras(wall.tiles, ids, wall.layout, wall.alarmTiles), false);
    root.dispatchEvent(new CustomEvent('wall:alarm', { detail: { incident: inc.id, cameras: ids } }));
  }
  function onUpdate(inc) {
    if (inc.state === 'new') return;
    for (const [cam, a] of alarms) if (a.incident === inc.id) alarms.delete(cam);
    render();
  }

  let socket = opts.socket;
  const ownSocket = !socket;
  if (!socket) {
    try {
      const io = await loadSocketIo();
      socket = io('/ops', { auth: { token }, transports: ['websocket'] });
    } catch (err) {
      console.warn('wall: no alarm linkage', err);
    }
  }
  const newHandler = (inc) => void onIncident(inc).catch((e) => console.warn('wall: alarm', e));
  socket?.on('incident:new', newHandler);
  socket?.on('incident:update', onUpdate);

  render();
  return () => {
    clearTimeout(saveTimer);
    document.removeEventListener('keydown', onKey);
    socket?.off('incident:new', newHandler);
    socket?.off('incident:update', onUpdate);
    if (ownSocket) socket?.close();
    closeFull();
    for (const t of tiles) t.destroy();
    page.remove();
  };
}

export default mountWall;
