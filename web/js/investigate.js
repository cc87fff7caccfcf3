// Investigation: search incidents and footage by site, camera and time; play; export with
// progress (socket `export:progress`, polling as a fallback); verify an export.

import { ApiError, api, getToken, optional, withToken } from './api.js';
import { fill, h, toast } from './dom.js';
import { fmtDateTime, t, tv } from './i18n.js';
import { icon } from './icons.js';
import { siteName, state, subscribe } from './state.js';
import { incidentType, priorityBadge, stateChip } from './widgets.js';

/** POSTs a zip as the raw body (never read into memory by the page): the server streams it to disk. */
async function uploadZip(file) {
  const token = getToken();
  let res;
  try {
    res = await fetch('/api/exports/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/zip', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: file,
    });
  } catch {
    throw new ApiError(0, 'network', t('networkError'));
  }
  const json = await res.json().catch(() => undefined);
  if (!res.ok)
    throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `${res.status}`);
  return json;
}

const localInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
const pct = (p) => Math.round(Math.max(0, Math.min(100, p <= 1 ? p * 100 : p)));

export function mount(root) {
  const now = new Date();
  const siteSel = h(
    'select',
    { name: 'site', id: 'inv-site' },
    h('option', { value: '' }, t('any')),
    [...state.sites.values()].map((s) => h('option', { value: s.id }, s.name)),
  );
  const camSel = h('select', { name: 'camera', id: 'inv-camera' });
  const from = h('input', {
    type: 'datetime-local',
    name: 'from',
    value: localInput(new Date(now.getTime() - 3600_000)),
  });
  // Empty means "now" at the moment of the search, so a fresh alarm is never cut off.
  const to = h('input', { type: 'datetime-local', name: 'to' });
  const incidentsBox = h('div', { class: 'inv-incidents' });
  const recordingsBox = h('div', { class: 'inv-recordings' });
  const player = h('video', { controls: true, class: 'inv-player', preload: 'metadata' });
  const exportBox = h('div', { class: 'inv-export', id: 'inv-export' });
  let exportId;
  let poll;

  const fillCameras = () => {
    const cams = state.cameras.filter((c) => !siteSel.value || c.site === siteSel.value);
    fill(
      camSel,
      h('option', { value: '' }, t('any')),
      cams.map((c) => h('option', { value: c.id }, `${c.name ?? c.id} · ${siteName(c.site)}`)),
    );
  };
  siteSel.addEventListener('change', fillCameras);
  fillCameras();

  const range = () => ({
    from: new Date(from.value).toISOString(),
    to: (to.value ? new Date(to.value) : new Date()).toISOString(),
  });

  async function search(e) {
    e?.preventDefault();
    const { from: f, to: u } = range();
    const q = new URLSearchParams({ since: f, until: u, limit: '200' });
    if (siteSel.value) q.set('site', siteSel.value);
    try {
      const { incidents } = await api(`/api/incidents?${q}`);
      fill(
        incidentsBox,
        incidents.length === 0
          ? h('div', { class: 'muted' }, t('noIncidents'))
          : h(
              'table',
              { class: 'grid' },
              h(
                'tr',
                {},
                ['colPriority', 'colTime', 'colSite', 'colType', 'colState', 'alarmClip'].map((k) =>
                  h('th', {}, t(k)),
                ),
              ),
              incidents.map((i) =>
                h(
                  'tr',
                  {
                    class: 'selectable',
                    dataset: { id: i.id },
                    onclick: () => {
                      if (i.clips?.[0]) play(i.clips[0].url);
                      else location.hash = `#/incident/${i.id}`;
                    },
                  },
                  h('td', {}, priorityBadge(i.priority)),
                  h('td', {}, fmtDateTime(i.openedAt)),
                  h('td', {}, siteName(i.site)),
                  h('td', {}, incidentType(i)),
                  h('td', {}, stateChip(i.state)),
                  h(
                    'td',
                    {},
                    (i.clips ?? []).length > 0 ? [icon('play'), ` ${i.clips.length}`] : t('noData'),
                    ' ',
                    h('a', { href: `#/incident/${i.id}`, onclick: (ev) => ev.stopPropagation() }, '↗'),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      fill(incidentsBox, h('div', { class: 'muted' }, err.message));
    }
    if (!camSel.value) {
      fill(recordingsBox, h('div', { class: 'muted' }, `${t('camera')}: ${t('noData')}`));
      return;
    }
    const res = await optional(
      `/api/recordings?${new URLSearchParams({ camera: camSel.value, from: f, to: u })}`,
    ).catch((err) => {
      toast(err.message, 'error');
      return undefined;
    });
    fill(recordingsBox, ...(res ? timeline(res, f, u) : [h('div', { class: 'muted' }, t('noData'))]));
  }

  /** The range as a bar: recorded stretches (merged segments) and gaps; a click plays 10 min from there. */
  function timeline(res, f, u) {
    const t0 = Date.parse(f);
    const t1 = Date.parse(u);
    const span = Math.max(1, t1 - t0);
    const runs = [];
    for (const seg of res.segments ?? []) {
      const a = Date.parse(seg.start);
      const b = Date.parse(seg.end);
      const last = runs.at(-1);
      if (last && a - last.b < 2000) last.b = Math.max(last.b, b);
      else runs.push({ a, b });
    }
    const pos = (ms) => `${(((ms - t0) / span) * 100).toFixed(3)}%`;
    const width = (a, b) => `${(((b - a) / span) * 100).toFixed(3)}%`;
    const playFrom = (ms) => {
      const to = Math.min(t1, ms + 10 * 60_000);
      play(
        `/api/recordings/play?${new URLSearchParams({ camera: res.camera, from: new Date(ms).toISOString(), to: new Date(to).toISOString() })}`,
      );
    };
    const bar = h(
      'div',
      {
        class: 'rec-bar',
        id: 'rec-bar',
        title: t('play'),
        onclick: (e) => {
          const r = e.currentTarget.getBoundingClientRect();
          playFrom(t0 + ((e.clientX - r.left) / r.width) * span);
        },
      },
      runs.map((r) => h('div', { class: 'rec-run', style: `left:${pos(r.a)};width:${width(r.a, r.b)}` })),
      (res.gaps ?? []).map((g) =>
        h('div', {
          class: 'rec-gap',
          title: g.reason ?? '',
          style: `left:${pos(Date.parse(g.start))};width:${width(Date.parse(g.start), Date.parse(g.end))}`,
        }),
      ),
    );
    return [
      bar,
      h('div', { class: 'rec-axis muted' }, h('span', {}, fmtDateTime(f)), h('span', {}, fmtDateTime(u))),
      h(
        'div',
        { class: 'rec-summary' },
        `${runs.length} × ${t('recordings')} · ${(res.segments ?? []).length} seg · ${(res.gaps ?? []).length} gap `,
        runs.length > 0 && res.playback
          ? h(
              'button',
              { type: 'button', id: 'play-range', onclick: () => play(res.playback) },
              icon('play'),
              ` ${t('play')}`,
            )
          : null,
      ),
    ];
  }

  function play(url) {
    player.src = withToken(url);
    void player.play().catch(() => undefined);
  }

  async function startExport() {
    if (!camSel.value) return toast(`${t('camera')}?`, 'error');
    const reason = exportBox.querySelector('input[name=reason]')?.value.trim() || 'investigation';
    try {
      const res = await api('/api/exports', {
        method: 'POST',
        body: { cameras: [camSel.value], ...range(), reason },
      });
      exportId = res.id;
      showExport({ id: res.id, state: res.state ?? 'queued', progress: res.progress ?? 0 });
      clearInterval(poll);
      poll = setInterval(() => void refreshExport(), 1500);
    } catch (err) {
      toast(
        err instanceof ApiError && err.status === 404 ? `${t('export')}: ${t('noData')}` : err.message,
        'error',
      );
    }
  }

  async function refreshExport() {
    if (!exportId) return;
    const ex = await optional(`/api/exports/${exportId}`).catch(() => undefined);
    if (ex) showExport({ id: exportId, ...ex });
  }

  function showExport(ex) {
    const done = ['done', 'complete', 'completed', 'ready'].includes(ex.state);
    if (done || ex.state === 'failed') clearInterval(poll);
    const files = ex.files ?? ex.manifest?.files ?? [];
    const p = done ? 100 : pct(Number(ex.progress ?? 0));
    fill(
      exportBox.querySelector('.export-status'),
      h(
        'div',
        { class: 'muted' },
        `${t('exportProgress')} · ${ex.id.slice(0, 8)} · ${tv('export', ex.state)} · ${p}%`,
      ),
      h(
        'div',
        { class: 'progress', role: 'progressbar', 'aria-valuenow': p },
        h('div', { style: `width:${p}%` }),
      ),
      ex.error ? h('div', { class: 'bad' }, ex.error) : null,
      done && ex.url
        ? h(
            'a',
            { class: 'button', href: withToken(ex.url), download: '' },
            icon('download'),
            ` ${t('export')}`,
          )
        : null,
      files.length > 0
        ? h(
            'details',
            { open: true },
            h('summary', {}, t('manifest')),
            h('pre', {}, files.map((f) => `${f.sha256}  ${f.name ?? f.path}`).join('\n')),
          )
        : null,
    );
  }

  /**
   * Verification in the browser: the chosen zip goes up as the raw body to `POST /api/exports/verify`,
   * which runs the same checks as `sharpeyes verify` against the site key; each file shows green or red.
   */
  async function verifyUpload(file) {
    const out = exportBox.querySelector('#verify-result');
    if (!file) return;
    fill(out, h('span', { class: 'muted' }, `${t('verifyRunning')} ${file.name}`));
    let res;
    try {
      res = await uploadZip(file);
    } catch (err) {
      fill(
        out,
        h(
          'b',
          { class: 'bad' },
          icon('cross'),
          ' ',
          err?.code === 'not_zip' ? t('verifyNotZip') : err.message,
        ),
      );
      return;
    }
    fill(
      out,
      h(
        'b',
        { class: `verify-verdict ${res.ok ? 'ok' : 'bad'}` },
        icon(res.ok ? 'check' : 'cross'),
        ` ${res.ok ? t('verifyOk') : t('verifyFailed')} · ${file.name}`,
      ),
      h(
        'div',
        {
          class: `verify-signature ${res.signature === 'valid' ? 'ok' : 'bad'}`,
          dataset: { signature: res.signature },
        },
        `${t('signature')}: ${tv('sig', res.signature)}`,
      ),
      h(
        'ul',
        { class: 'verify-files' },
        (res.files ?? []).map((f) =>
          h(
            'li',
            { class: f.ok ? 'ok' : 'bad', dataset: { file: f.name, ok: String(f.ok) } },
            icon(f.ok ? 'check' : 'cross'),
            ` ${f.name} `,
            h('code', { class: 'muted' }, f.sha256 ? f.sha256.slice(0, 16) : '—'),
          ),
        ),
      ),
      (res.problems ?? []).length > 0
        ? h(
            'details',
            { open: true },
            h('summary', {}, t('verifyProblems')),
            h(
              'ul',
              { class: 'verify-problems bad' },
              res.problems.map((p) => h('li', {}, p)),
            ),
          )
        : null,
    );
  }

  const picker = h('input', {
    type: 'file',
    id: 'verify-file',
    accept: '.zip,application/zip',
    onchange: (e) => {
      void verifyUpload(e.currentTarget.files?.[0]);
      // The same file chosen again (after a fix) must fire `change` again.
      e.currentTarget.value = '';
    },
  });

  exportBox.append(
    h('h3', {}, t('export')),
    h('label', {}, t('exportReason'), ' ', h('input', { name: 'reason', placeholder: t('exportReason') })),
    ' ',
    h(
      'button',
      { type: 'button', class: 'primary', id: 'export-start', onclick: () => void startExport() },
      t('export'),
    ),
    h('div', { class: 'export-status' }),
    h('h3', {}, t('verify')),
    h('label', { class: 'verify-pick' }, t('verifyPick'), ' ', picker),
    h('div', { class: 'verify-result', id: 'verify-result', 'aria-live': 'polite' }),
  );

  root.append(
    h(
      'div',
      { class: 'page inv-view' },
      h(
        'form',
        { class: 'card inv-form', onsubmit: search },
        h('label', {}, t('site'), siteSel),
        h('label', {}, t('camera'), camSel),
        h('label', {}, t('from'), from),
        h('label', {}, t('to'), to),
        h('button', { type: 'submit', class: 'primary' }, t('search')),
      ),
      h(
        'div',
        { class: 'inv-grid' },
        h(
          'section',
          { class: 'card' },
          h('h3', {}, t('incidents')),
          incidentsBox,
          h('h3', {}, t('recordings')),
          recordingsBox,
        ),
        h(
          'section',
          { class: 'card' },
          h('h3', {}, t('play')),
          h('div', { class: 'video-box' }, player),
          exportBox,
        ),
      ),
    ),
  );
  void search();
  const off = subscribe((kind, p) => {
    if (kind === 'export' && p?.id === exportId) showExport({ ...p, id: exportId });
  });
  return () => {
    off();
    clearInterval(poll);
  };
}
