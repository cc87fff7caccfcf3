// What every view shares: the user, incidents (live over Socket.IO /ops), sites, panels, cameras
// and units. Reference data comes from routes other parts of the service own; a route that is not
// there leaves its collection empty (`available[name] = false`) and the views show "—".
import { api, getToken, optional } from './api.js';
import { ringNow, updateRing } from './sound.js';

export const state = {
  user: undefined,
  incidents: new Map(),
  sites: new Map(),
  /** site id → panels of the site */
  panelsBySite: new Map(),
  panels: [],
  cameras: [],
  units: [],
  tree: [],
  /** The nodes above the user's own, nearest first (`/api/tree`'s `above`): names only. */
  treeAbove: [],
  connected: false,
  available: { sites: false, panels: false, cameras: false, units: false, tree: false },
};

const listeners = new Set();
let socket;
let panelTimer;

/** `fn(kind, payload)`; kinds: incidents, incident, reference, panels, connection, export, user (the logged-in user's name changed). */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function emit(kind, payload) {
  for (const fn of listeners) {
    try {
      fn(kind, payload);
    } catch (err) {
      // One broken view must not stop the others from updating; the console logs it for support.
      console.error('console: listener failed', err);
    }
  }
}

export const OPEN = new Set(['new', 'acknowledged', 'dispatched', 'on_scene']);
export const isOpen = (inc) => OPEN.has(inc.state);

export function siteOf(id) {
  return state.sites.get(id);
}

export function siteName(id) {
  return state.sites.get(id)?.name ?? id;
}

let treeNames;
/** Display name of a jurisdiction node (from /api/tree), or its id. */
export function jurisdictionName(id) {
  if (!treeNames) {
    treeNames = new Map();
    const walk = (list) => {
      for (const n of list ?? []) {
        treeNames.set(n.id, n.name);
        walk(n.children);
      }
    };
    walk(state.tree);
    // The nodes above the user's own (where their alarms escalate to) come by name only.
    for (const n of state.treeAbove) treeNames.set(n.id, n.name);
  }
  return treeNames.get(id) ?? id;
}

/** Each node's parts, worked out once (against every name the console knows, a city's thousands). */
const partsOf = new Map();

/**
 * A node's name split where it is like the others the console knows: `head` the longest start it
 * shares with another node's name, `foot` the longest end ("朔州市公安局" and "指挥中心" of
 * 朔州市公安局朔城区分局指挥中心 beside 朔州市公安局110指挥中心), `tail` what is between, which tells
 * it apart. A narrow chip shortens the head, then the foot, never the tail. A name like no other's is
 * all head (its start tells it apart), as is one that is all another's start; a foot that would leave
 * nothing between is none.
 */
export function nameParts(id) {
  const name = jurisdictionName(id);
  const known = partsOf.get(id);
  if (known?.name === name) return known.parts;
  const parts = splitName(id, name);
  partsOf.set(id, { name, parts });
  return parts;
}

function splitName(id, name) {
  let shared = 0;
  let end = 0;
  for (const [other, o] of treeNames)
    if (other !== id && o !== name) {
      let i = 0;
      while (i < name.length && name[i] === o[i]) i++;
      shared = Math.max(shared, i);
      let k = 0;
      while (k < name.length && k < o.length && name.at(-1 - k) === o.at(-1 - k)) k++;
      end = Math.max(end, k);
    }
  if (shared === 0 || shared >= name.length) return { head: name, tail: '', foot: '' };
  if (shared + end >= name.length) end = 0;
  return {
    head: name.slice(0, shared),
    tail: name.slice(shared, name.length - end),
    foot: name.slice(name.length - end),
  };
}

/** The jurisdiction tree (the user's subtree), depth first: each node's id, name and depth. */
export function treeNodes() {
  const out = [];
  const walk = (list, depth) => {
    for (const n of list ?? []) {
      out.push({ id: n.id, name: n.name, depth });
      walk(n.children, depth + 1);
    }
  };
  walk(state.tree, 0);
  return out;
}

/** A node's name indented by its depth (ideographic spaces), as a select's option shows the tree. */
export const indentedName = (n) => `${'\u3000'.repeat(n.depth)}${n.name}`;

export function camerasOfSite(site) {
  return state.cameras.filter((c) => c.site === site);
}

export function upsertIncident(inc) {
  state.incidents.set(inc.id, inc);
  emit('incident', inc);
  refreshRing();
}

function highestUnacked() {
  let best;
  for (const inc of state.incidents.values())
    if (inc.state === 'new' && inc.kind !== 'maintenance' && (best === undefined || inc.priority < best))
      best = inc.priority;
  return best;
}

export function refreshRing() {
  // A shop owner's page shows their alarms but does not ring: the ring is for the duty desks.
  updateRing(state.user?.role === 'site' ? () => undefined : highestUnacked);
}

export async function loadIncidents() {
  const { incidents } = await api('/api/incidents?limit=300');
  state.incidents.clear();
  for (const inc of incidents) state.incidents.set(inc.id, inc);
  emit('incidents');
  refreshRing();
}

export async function loadPanels() {
  const res = await optional('/api/panels');
  state.available.panels = Array.isArray(res?.panels);
  state.panels = res?.panels ?? [];
  state.panelsBySite.clear();
  for (const p of state.panels) {
    const list = state.panelsBySite.get(p.site) ?? [];
    list.push(p);
    state.panelsBySite.set(p.site, list);
  }
  emit('panels');
}

export async function loadReference() {
  const [sites, cameras, units, tree] = await Promise.all([
    optional('/api/sites'),
    // The cameras API (GET /api/cameras) and, until it exists, the live wall's scoped list.
    optional('/api/cameras').then((r) => r ?? optional('/api/live/cameras')),
    // A site user gets the names of the units sent to their own alarms only.
    optional('/api/units'),
    // A site user's has no nodes of their own, only the names above their site (escalations, handlers).
    optional('/api/tree'),
  ]);
  state.available.sites = Array.isArray(sites?.sites);
  state.sites = new Map((sites?.sites ?? []).map((s) => [s.id, s]));
  state.available.cameras = Array.isArray(cameras?.cameras);
  state.cameras = cameras?.cameras ?? [];
  state.available.units = Array.isArray(units?.units);
  state.units = units?.units ?? [];
  state.available.tree = Array.isArray(tree?.roots);
  state.tree = tree?.roots ?? [];
  state.treeAbove = tree?.above ?? [];
  treeNames = undefined;
  partsOf.clear();
  emit('reference');
}

/** Units change state as they are dispatched; views refresh them after an action. */
export async function loadUnits() {
  if (!state.available.units) return;
  const res = await optional('/api/units');
  if (Array.isArray(res?.units)) {
    state.units = res.units;
    emit('reference');
  }
}

export function connectSocket(onUnauthenticated) {
  disconnectSocket();
  // socket.io's browser client is served by the service at /socket.io/socket.io.js (global `io`).
  socket = window.io('/ops', { auth: { token: getToken() }, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    state.connected = true;
    emit('connection');
    // Catch up on what happened while disconnected.
    loadIncidents().catch(() => undefined);
  });
  socket.on('disconnect', () => {
    state.connected = false;
    emit('connection');
  });
  socket.on('connect_error', (err) => {
    state.connected = false;
    emit('connection');
    if (String(err?.message).startsWith('unauthenticated')) onUnauthenticated();
  });
  // The server ended this session (logout elsewhere, expiry, a disabled user): back to the login.
  socket.on('session:end', (e) => onUnauthenticated(e?.reason));
  socket.on('incident:new', (inc) => {
    upsertIncident(inc);
    if (inc.kind !== 'maintenance' && state.user?.role !== 'site') ringNow(inc.priority);
    emit('incident:new', inc);
  });
  socket.on('incident:update', (inc) => upsertIncident(inc));
  socket.on('export:progress', (p) => emit('export', p));
  // Issue 19: notices reach the pop-up module (web/js/notices.js) through the state's bus.
  for (const ev of ['notice:new', 'notice:reminder', 'notice:receipt', 'notice:silent'])
    socket.on(ev, (p) => emit(ev, p));
  // Issue 17: a site's test mode changed, or took an event (the site desk lists it as it arrives).
  for (const ev of ['site:test-mode', 'site:test-event']) socket.on(ev, (p) => emit(ev, p));
  // The receiver's own troubles (web/js/system-alert.js), from each node.
  socket.on('system:status', (p) => emit('system:status', p));
  for (const ev of ['panel:status', 'panel:update', 'panel:heartbeat']) socket.on(ev, () => schedulePanels());
  panelTimer = setInterval(() => loadPanels().catch(() => undefined), 15_000);
}

let panelSoon;
function schedulePanels() {
  clearTimeout(panelSoon);
  panelSoon = setTimeout(() => loadPanels().catch(() => undefined), 300);
}

export function disconnectSocket() {
  socket?.close();
  socket = undefined;
  clearInterval(panelTimer);
  state.connected = false;
}

export function resetState() {
  disconnectSocket();
  state.user = undefined;
  state.incidents.clear();
  state.sites.clear();
  state.panels = [];
  state.panelsBySite.clear();
  state.cameras = [];
  state.units = [];
  state.tree = [];
  state.treeAbove = [];
  updateRing(() => undefined);
}
