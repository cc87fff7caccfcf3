// The video wall: layouts 1/4/9/16 saved per operator (GET/PUT /api/wall); a wall nobody has
// arranged yet shows the cameras of the operator's scope. Tiles fill the screen; a tile large enough
// to show more than the sub-stream plays the main stream. Alarm linkage: an incident's cameras take
// the first tiles, with the priority, type, site and incident written on them until acknowledged.
// Entry: `mountWall(root, {token, socket})` → stop function.
import { t } from '../js/i18n.js';
import { alarmBook, placeAlarmCameras } from './wall-alarms.js';
import { createTile } from './wall-tile.js';
import { renderTree } from './wall-tree.js';

export { placeAlarmCameras };
export const LAYOUTS = [1, 4, 9, 16];
/** Device pixels a sub-stream fills sharply (the demo's is 320×180; cameras' are 352–704 wide). */
export const SUB_STREAM_MAX_PX = 640;

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

/** The wall a new operator sees: their scope's cameras in order, in their layout. */
export function defaultTiles(wall, cameraIds) {
  if (wall.tiles.some(Boolean)) return wall.tiles;
  return cameraIds.slice(0, wall.layout);
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
  const cameraList = (await api('/api/live/cameras')).cameras;
  const cameras = new Map(cameraList.map((c) => [c.id, c]));
  // Not saved: the default follows the scope's cameras until the operator arranges the wall.
  let arranged = wall.tiles.some(Boolean);
  wall = {
    ...wall,
    tiles: defaultTiles(
      wall,
      cameraList.map((c) => c.id),
    ),
  };
  renderTree(aside, await api('/api/live/tree'), {
    onPick: (id) => {
      const i = Array.from({ length: wall.layout }, (_, k) => k).find((k) => !wall.tiles[k]);
      setTiles(Object.assign([...wall.tiles], { [i ?? 0]: id }));
    },
  });

  const alarms = alarmBook(api);
  let tiles = [];
  let saveTimer;
  let full;

  const save = () => {
    arranged = true;
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
    b.title = t('wallLayoutN', { n });
    b.addEventListener('click', () => {
      wall = {
        ...wall,
        layout: n,
        tiles: arranged ? wall.tiles : defaultTiles({ ...wall, layout: n, tiles: [] }, [...cameras.keys()]),
      };
      render();
      save();
    });
    return b;
  });
  const hint = el('span', 'live-wall-hint', t('wallHint'));
  bar.append(el('span', 'live-wall-title', t('wallTitle')), ...layoutButtons, hint);

  function setTiles(next, persist = true) {
    wall = { ...wall, tiles: next.slice(0, 16).map((c) => c ?? null) };
    render();
    if (persist) save();
  }

  /** The main stream when a tile is wider on screen than the sub-stream can fill. */
  function streamFor(n) {
    const side = Math.sqrt(n);
    const width = (grid.clientWidth || window.innerWidth) / side;
    return width * (window.devicePixelRatio || 1) > SUB_STREAM_MAX_PX ? 'main' : 'sub';
  }

  function render() {
    const n = wall.layout;
    const side = Math.sqrt(n);
    grid.style.gridTemplateColumns = `repeat(${side}, minmax(0, 1fr))`;
    grid.style.gridTemplateRows = `repeat(${side}, minmax(0, 1fr))`;
    grid.dataset.layout = String(n);
    for (const b of layoutButtons) b.classList.toggle('active', b.dataset.layout === String(n));
    const stream = streamFor(n);
    const next = [];
    for (let i = 0; i < n; i++) {
      const id = wall.tiles[i] ?? null;
      const old = tiles[i];
      // Keep a tile that still shows the same camera on the same stream: no reconnect, no black frame.
      const same = old && (old.camera?.id ?? null) === id && (!id || old.stream === stream);
      next.push(same ? old : makeTile(id, stream));
      if (old && next[i] !== old) old.destroy();
    }
    for (const x of tiles.slice(n)) x.destroy();
    tiles = next;
    grid.replaceChildren(...tiles.map((x) => x.el));
    tiles.forEach((x, i) => {
      x.el.dataset.index = String(i);
      x.setAlarm(x.camera ? alarms.get(x.camera.id) : undefined);
    });
  }

  function makeTile(id, stream) {
    const cam = id ? (cameras.get(id) ?? { id, name: id }) : undefined;
    const tile = createTile(cam, { stream, token });
    tile.stream = stream;
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
      const next = [...wall.tiles];
      while (next.length < wall.layout) next.push(null);
      if (camId) next[to] = camId;
      else if (from !== '') [next[to], next[Number(from)]] = [next[Number(from)], next[to]];
      setTiles(next);
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
    close.title = `${t('close')} (Esc)`;
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
    if (!wall.alarmTiles || inc.kind === 'maintenance' || inc.state !== 'new') return;
    const site = cameraList.find((c) => c.site === inc.site)?.siteName;
    const { ids, cameras: linked } = await alarms.take(inc, site);
    if (ids.length === 0) return;
    for (const c of linked) if (!cameras.has(c.camera)) cameras.set(c.camera, { ...c, id: c.camera });
    setTiles(placeAlarmCameras(wall.tiles, ids, wall.layout, wall.alarmTiles), false);
    root.dispatchEvent(new CustomEvent('wall:alarm', { detail: { incident: inc.id, cameras: ids } }));
  }
  function onUpdate(inc) {
    if (inc.state === 'new') return;
    if (alarms.release(inc)) render();
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
  // Alarms still unacknowledged when the wall opens take their tiles too, most urgent first.
  void api('/api/incidents?state=new&kind=alarm&limit=20')
    .then(async ({ incidents }) => {
      const order = [...incidents].sort(
        (a, b) => b.priority - a.priority || b.openedAt.localeCompare(a.openedAt),
      );
      for (const inc of order) await onIncident(inc);
    })
    .catch((e) => console.warn('wall: open alarms', e));
  // A new size can change which stream a tile should play.
  let lastStream = streamFor(wall.layout);
  const resize = new ResizeObserver(() => {
    const s = streamFor(wall.layout);
    if (s !== lastStream) {
      lastStream = s;
      render();
    }
  });
  resize.observe(grid);
  return () => {
    clearTimeout(saveTimer);
    resize.disconnect();
    document.removeEventListener('keydown', onKey);
    socket?.off('incident:new', newHandler);
    socket?.off('incident:update', onUpdate);
    if (ownSocket) socket?.close();
    closeFull();
    for (const x of tiles) x.destroy();
    page.remove();
  };
}

export default mountWall;
