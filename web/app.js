// Console entry: login, the top bar, and a hash router over the views. Each view module exports
// `mount(container, params)` returning an unmount function; a language switch re-mounts the view.

import { ApiError, api, getToken, setToken, setUnauthorizedHandler } from './js/api.js';
import { resetDetails } from './js/details.js';
import { $, h } from './js/dom.js';
import { toggleHelp } from './js/help.js';
import { applyStatic, fmtTime, getLang, onLangChange, setLang, t, tv } from './js/i18n.js';
import { icon } from './js/icons.js';
import { resetMapConfig } from './js/map-leaflet.js';
import { scopeName } from './js/names.js';
import { mountNotices } from './js/notices.js';
import { pullPrefs, pushPref } from './js/prefs.js';
import { currentShift } from './js/shift.js';
import { isMuted, onSoundChange, setMuted, unlockAudio } from './js/sound.js';
import {
  connectSocket,
  loadIncidents,
  loadPanels,
  loadReference,
  resetState,
  state,
  subscribe,
} from './js/state.js';
import { mountSystemAlert, renderSystemAlert } from './js/system-alert.js';
import { dialogOpen } from './js/widgets.js';
import { setZones } from './js/zone.js';

const VIEWS = {
  queue: { label: 'navQueue', load: () => import('./js/queue.js') },
  incident: { label: null, load: () => import('./js/incident.js') },
  map: { label: 'navMap', load: () => import('./js/map.js') },
  wall: { label: 'navWall', load: () => import('./js/wall.js') },
  investigate: { label: 'navInvestigate', load: () => import('./js/investigate.js') },
  site: { label: 'navSite', load: () => import('./js/site-view.js') },
  reports: { label: 'navReports', load: () => import('./js/reports.js') },
  handover: { label: 'navHandover', load: () => import('./js/handover.js') },
  users: { label: 'navUsers', load: () => import('./js/admin-users.js') },
  system: { label: 'navSystem', load: () => import('./js/system.js') },
  sitedesk: { label: null, load: () => import('./js/site-desk.js') }, // issue 17, reached from links
};

const NAV_BY_ROLE = {
  site: ['site'],
  investigator: ['investigate', 'map', 'wall', 'handover'],
  operator: ['queue', 'map', 'wall', 'investigate', 'handover'],
  supervisor: ['queue', 'map', 'wall', 'investigate', 'reports', 'handover', 'users', 'system'],
  admin: ['queue', 'map', 'wall', 'investigate', 'reports', 'handover', 'users', 'system'],
};

let unmount;
let unmountNotices;
let unmountSystemAlert;
let mountSeq = 0;

function navFor(role) {
  return NAV_BY_ROLE[role] ?? ['queue'];
}

function parseHash() {
  const [name = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { name, params: rest.map(decodeURIComponent) };
}

async function route() {
  if (!state.user) return;
  let { name, params } = parseHash();
  const desk = ['operator', 'supervisor', 'admin'].includes(state.user.role);
  const allowed = [...navFor(state.user.role), 'incident', ...(desk ? ['sitedesk'] : [])];
  if (!VIEWS[name] || !allowed.includes(name)) {
    name = navFor(state.user.role)[0];
    params = [];
    history.replaceState(null, '', `#/${name}`);
  }
  const seq = ++mountSeq;
  const mod = await VIEWS[name].load();
  if (seq !== mountSeq) return;
  unmount?.();
  const view = $('#view');
  view.replaceChildren();
  view.dataset.view = name;
  document.body.dataset.view = name;
  unmount = mod.mount(view, params) ?? undefined;
  renderNav(name);
}

function renderNav(active) {
  $('#nav').replaceChildren(
    ...navFor(state.user.role).map((name) =>
      h(
        'a',
        { href: `#/${name}`, class: name === active ? 'active' : '', dataset: { nav: name } },
        t(VIEWS[name].label),
      ),
    ),
  );
}

function renderStatus() {
  const conn = $('#conn');
  conn.textContent = state.connected ? `● ${t('live')}` : `○ ${t('offline')}`;
  conn.className = `conn ${state.connected ? 'ok' : 'bad'}`;
  const muted = isMuted();
  const mute = $('#mute');
  mute.replaceChildren(
    icon(muted ? 'bellOff' : 'bell'),
    h('span', { class: 'btn-label' }, ` ${muted ? t('muted') : t('sound')}`),
  );
  // The label may give way on a narrow bar: the tooltip still says it.
  mute.title = `${muted ? t('muted') : t('sound')} (M)`;
  mute.classList.toggle('is-muted', muted);
  $('#lang').textContent = t('lang');
  $('#login-lang').textContent = t('lang');
  if (state.user) {
    const u = state.user;
    $('#who').textContent = `${u.displayName ?? u.username} · ${tv('role', u.role)} · ${scopeName(u)}`;
  }
  const unacked = [...state.incidents.values()].filter((i) => i.state === 'new' && i.kind !== 'maintenance');
  const count = $('#alarm-count');
  count.textContent = unacked.length > 0 ? t('unacked', { n: unacked.length }) : '';
  count.classList.toggle('hot', unacked.length > 0);
}

/**
 * The session is gone. A refused request can reach the page before the socket's `session:end`,
 * which says why (logged out elsewhere, revoked, disabled): with the socket still up, its reason is
 * awaited a moment, so the officer reads why and not a generic "expired".
 */
let ending;
function sessionGone(message, reasonGiven = false) {
  // Already at the login screen: a late refusal of a request in flight must not overwrite the reason.
  if (!getToken()) return;
  if (reasonGiven) {
    clearTimeout(ending);
    ending = undefined;
    showLogin(message);
    return;
  }
  ending ??= setTimeout(
    () => {
      ending = undefined;
      showLogin(message);
    },
    state.connected ? 1500 : 0,
  );
}

function showLogin(message = '') {
  unmount?.();
  unmount = undefined;
  unmountNotices?.();
  unmountNotices = undefined;
  unmountSystemAlert?.();
  unmountSystemAlert = undefined;
  resetState();
  resetDetails();
  resetMapConfig();
  setToken(null);
  document.body.classList.add('logged-out');
  $('#view').replaceChildren();
  $('#login-error').textContent = message;
  $('#login input[name=password]').value = '';
  $('#login input[name=username]').focus();
}

async function enter() {
  state.user = await api('/api/me');
  // Days, shifts and times on the city's clock, whatever zone this desk PC is set to.
  setZones(state.user.zones);
  // The user's saved preferences win, except a language chosen on the login screen just now.
  const prefs = await pullPrefs();
  if (langChosenAtLogin) pushPref('lang', getLang());
  else if (prefs.lang && prefs.lang !== getLang()) setLang(prefs.lang);
  langChosenAtLogin = false;
  document.body.classList.remove('logged-out');
  document.body.dataset.role = state.user.role;
  await loadReference();
  await Promise.all([loadIncidents(), loadPanels()]);
  // Issue 15: the server ends the socket of a session that ended, and says why (logout, disabled...).
  // Before the socket connects: each node tells a desk its troubles on connecting.
  unmountSystemAlert = mountSystemAlert();
  connectSocket((reason) =>
    sessionGone(reason ? tv('sessionEnd', reason) : t('sessionExpired'), Boolean(reason)),
  );
  unmountNotices = mountNotices(); // issue 19: notice pop-ups with receipts
  renderStatus();
  await route();
}

$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  unlockAudio(); // the login click is the gesture that lets the queue ring later
  const form = Object.fromEntries(new FormData(e.target));
  const button = e.target.querySelector('button[type=submit]');
  button.disabled = true;
  $('#login-error').textContent = '';
  try {
    const res = await api('/api/auth/login', { method: 'POST', body: form, auth: false });
    setToken(res.token);
    await enter();
  } catch (err) {
    $('#login-error').textContent = err instanceof ApiError ? err.message : String(err);
  } finally {
    button.disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('/api/auth/logout', { method: 'POST', body: {} }).catch(() => undefined);
  showLogin();
});
let langChosenAtLogin = false;
const toggleMute = () => {
  setMuted(!isMuted());
  pushPref('mutedShift', isMuted() ? currentShift() : null);
};
$('#mute').addEventListener('click', toggleMute);
$('#lang').addEventListener('click', () => {
  setLang(getLang() === 'en' ? 'zh-CN' : 'en');
  pushPref('lang', getLang());
});
$('#login-lang').addEventListener('click', () => {
  setLang(getLang() === 'en' ? 'zh-CN' : 'en');
  langChosenAtLogin = true;
});

document.addEventListener('keydown', (e) => {
  if (!state.user || dialogOpen() || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target instanceof HTMLElement && e.target.closest('input, textarea, select')) return;
  if (e.key === '?') toggleHelp();
  else if (e.key === 'm' || e.key === 'M') toggleMute();
});

setUnauthorizedHandler((message) => sessionGone(message));
// After a reload the session is restored without a click; the first key or click unlocks audio.
for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, unlockAudio, { once: true });
onLangChange(() => {
  renderStatus();
  renderSystemAlert();
  if (state.user) void route();
});
onSoundChange(renderStatus);
subscribe((kind) => {
  if (['connection', 'incident', 'incidents', 'reference', 'user'].includes(kind)) renderStatus();
});
window.addEventListener('hashchange', () => void route());
const tick = () => {
  $('#clock').textContent = fmtTime(new Date().toISOString());
};
tick();
setInterval(tick, 1000);

document.documentElement.lang = getLang();
applyStatic();
renderStatus();
if (getToken())
  enter().catch((err) => showLogin(err instanceof ApiError && err.status === 401 ? err.message : ''));
else showLogin();
