// Minimal console of the foundation: log in, see the alarm queue live, acknowledge.
const $ = (id) => document.getElementById(id);
let token = localStorage.getItem('sharpeyes.token');
const incidents = new Map();

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (res.status === 401) {
    logout();
    throw new Error('unauthenticated');
  }
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(body?.error?.message ?? res.statusText);
  return body;
}

function logout() {
  token = null;
  localStorage.removeItem('sharpeyes.token');
  $('queue').hidden = true;
  $('login').hidden = false;
}

function render() {
  const rows = [...incidents.values()].sort((a, b) => b.openedAt.localeCompare(a.openedAt));
  $('incidents').replaceChildren(
    ...rows.map((inc) => {
      const tr = document.createElement('tr');
      tr.className = `state-${inc.state}`;
      tr.dataset.id = inc.id;
      const cells = [
        new Date(inc.openedAt).toLocaleTimeString(),
        `P${inc.priority}`,
        inc.site,
        inc.events[0]?.type ?? inc.rule,
        inc.state,
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      if (inc.state === 'new') {
        const b = document.createElement('button');
        b.textContent = '确认 Ack';
        b.className = 'ack';
        b.onclick = () =>
          api(`/api/incidents/${inc.id}/ack`, { method: 'POST', body: '{}' }).then(upsert, alert);
        td.append(b);
      }
      tr.append(td);
      return tr;
    }),
  );
}

function upsert(inc) {
  incidents.set(inc.id, inc);
  render();
}

async function showQueue() {
  const me = await api('/api/me');
  $('who').textContent = `${me.displayName ?? me.username} · ${me.scope}`;
  $('login').hidden = true;
  $('queue').hidden = false;
  const { incidents: list } = await api('/api/incidents?limit=100');
  for (const inc of list) incidents.set(inc.id, inc);
  render();
  const socket = io('/ops', { auth: { token } });
  socket.on('connect', () => ($('conn').textContent = '● 在线 live'));
  socket.on('disconnect', () => ($('conn').textContent = '○ 断开 offline'));
  socket.on('incident:new', upsert);
  socket.on('incident:update', upsert);
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  try {
    const res = await api('/api/auth/login', {
      method: 'POST',
      body: JSON.stringify(Object.fromEntries(form)),
    });
    token = res.token;
    localStorage.setItem('sharpeyes.token', token);
    await showQueue();
  } catch (err) {
    $('login-error').textContent = err.message;
  }
});

if (token) showQueue().catch(logout);
else logout();
