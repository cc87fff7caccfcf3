// The side of the investigation page: an incident's footage at a glance (alarm clips and evidence
// locks with their time range and video duration, bookmarks, exports), the export of the marked
// range with its progress, and verification of an export zip in the browser.

import { ApiError, api, downloadSigned, getToken } from '../api.js';
import { fill, h, toast } from '../dom.js';
import { joinList, t, tv } from '../i18n.js';
import { icon } from '../icons.js';
import { cameraName } from '../names.js';
import { state } from '../state.js';
import { mediaUrl } from './media.js';
import { errorText, wallText } from './player-view.js';
import { gapReason } from './timeline.js';

/** A camera by its name; one this desk no longer knows (removed since) by its id, as the manifest has it. */
const cameraText = (id) => (state.cameras.some((c) => c.id === id) ? cameraName(id) : id);

/** `11:04:05 – 11:05:06 · 61.0 秒` (and the gaps inside, when there are). */
export function rangeText(from, to, seconds, gaps = []) {
  const a = wallText(Date.parse(from));
  const b = wallText(Date.parse(to));
  const sameDay = a.slice(0, 10) === b.slice(0, 10);
  const dur = `${Number(seconds).toFixed(1)} ${t('pbSeconds')}`;
  const gapNote = gaps.length > 0 ? ` · ${t('pbGapsInside', { n: gaps.length })}` : '';
  return `${a.slice(0, 19)} – ${sameDay ? b.slice(11, 19) : b.slice(0, 19)} · ${dur}${gapNote}`;
}

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

/** Issue 15: verifying evidence is for investigators, supervisors and admins (the API says 403 to others). */
const MAY_VERIFY = ['investigator', 'supervisor', 'admin'];
const pct = (p) => Math.round(Math.max(0, Math.min(100, p <= 1 ? p * 100 : p)));

export function exportLine(ex) {
  const done = ex.state === 'done';
  const p = done ? 100 : pct(Number(ex.progress ?? 0));
  return h(
    'div',
    { class: 'pb-export', dataset: { id: ex.id, state: ex.state } },
    h('div', {}, `${tv('export', ex.state)} · ${p}% · ${joinList((ex.cameras ?? []).map(cameraText))}`),
    (ex.summary ?? []).map((c) =>
      h(
        'div',
        { class: 'muted pb-range', dataset: { camera: c.camera } },
        `${cameraText(c.camera)}: ${rangeText(c.from, c.to, c.duration, c.gaps)}`,
      ),
    ),
    !done
      ? h(
          'div',
          { class: 'progress', role: 'progressbar', 'aria-valuenow': p },
          h('div', { style: `width:${p}%` }),
        )
      : null,
    ex.error ? h('div', { class: 'bad' }, ex.error) : null,
    done && ex.url
      ? h(
          'a',
          {
            class: 'button',
            href: '#',
            download: '',
            // Signed at the click (a short-lived URL bound to the user): no session token in any URL.
            onclick: (e) => {
              e.preventDefault();
              downloadSigned(ex.url).catch((err) => toast(errorText(err), 'error'));
            },
          },
          icon('download'),
          ` ${t('pbDownload')}`,
        )
      : null,
  );
}

/**
 * @param {{incident?: string, cameras: () => string[], marks: () => {in?: number, out?: number},
 *   onPlayClip: (url: string) => void}} o
 */
export function footagePanel(o) {
  const incidentBox = h('div', { class: 'pb-incident', id: 'pb-incident' });
  const exportsBox = h('div', { class: 'pb-exports', id: 'pb-exports' });
  const reason = h('input', {
    name: 'reason',
    id: 'pb-reason',
    placeholder: t('exportReason'),
    maxLength: 500,
  });
  const verifyOut = h('div', { class: 'verify-result', id: 'verify-result', 'aria-live': 'polite' });
  const exports = new Map();

  const renderExports = () =>
    fill(
      exportsBox,
      [...exports.values()]
        .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))
        .map(exportLine),
    );

  async function loadIncident() {
    if (!o.incident) return;
    try {
      const f = await api(`/api/recordings/incident/${encodeURIComponent(o.incident)}`);
      for (const ex of f.exports) exports.set(ex.id, ex);
      renderExports();
      fill(
        incidentBox,
        h('h3', {}, t('pbClips')),
        f.clips.length === 0
          ? h('div', { class: 'muted' }, t('noData'))
          : h(
              'ul',
              { class: 'pb-list' },
              f.clips.map((c) =>
                h(
                  'li',
                  { dataset: { clip: c.id } },
                  h(
                    'button',
                    { type: 'button', class: 'ghost', onclick: () => o.onPlayClip(mediaUrl(c.url)) },
                    icon('play'),
                  ),
                  ` ${cameraText(c.camera)} · ${rangeText(c.start, c.end, c.duration, c.gaps)}`,
                  c.gaps.length > 0
                    ? h('div', { class: 'muted' }, c.gaps.map((g) => gapReason(g.reason)).join('；'))
                    : null,
                ),
              ),
            ),
        h('h3', {}, t('pbLocks')),
        f.locks.length === 0
          ? h('div', { class: 'muted' }, t('noData'))
          : h(
              'ul',
              { class: 'pb-list' },
              f.locks.map((l) =>
                h(
                  'li',
                  { dataset: { lock: l.id } },
                  `${l.camera ? cameraText(l.camera) : t('any')} · ${rangeText(l.start, l.end, l.duration)} · ${lockReason(l.reason)}`,
                ),
              ),
            ),
        h('h3', {}, t('pbBookmarks')),
        f.bookmarks.length === 0
          ? h('div', { class: 'muted' }, t('noData'))
          : h(
              'ul',
              { class: 'pb-list' },
              f.bookmarks.map((b) =>
                h(
                  'li',
                  { dataset: { bookmark: b.id } },
                  `★ ${wallText(Date.parse(b.at)).slice(0, 19)}${b.to ? ` – ${wallText(Date.parse(b.to)).slice(11, 19)}` : ''} · ${cameraText(b.camera)} · ${b.note} · ${b.by}`,
                ),
              ),
            ),
      );
    } catch (err) {
      fill(incidentBox, h('div', { class: 'bad' }, errorText(err)));
    }
  }

  async function startExport() {
    const m = o.marks();
    if (m.in === undefined || m.out === undefined) return toast(t('pbNeedMarks'), 'error');
    if (reason.value.trim().length < 3) {
      reason.focus();
      return toast(t('pbNeedReason'), 'error');
    }
    try {
      const res = await api('/api/exports', {
        method: 'POST',
        body: {
          cameras: o.cameras(),
          from: new Date(Math.min(m.in, m.out)).toISOString(),
          to: new Date(Math.max(m.in, m.out)).toISOString(),
          reason: reason.value.trim(),
          ...(o.incident ? { incident: o.incident } : {}),
        },
      });
      exports.set(res.id, {
        id: res.id,
        state: 'queued',
        progress: 0,
        cameras: o.cameras(),
        createdAt: new Date().toISOString(),
      });
      renderExports();
      poll(res.id);
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  const timers = new Set();
  function poll(id) {
    const timer = setInterval(async () => {
      const ex = await api(`/api/exports/${id}`).catch(() => undefined);
      if (!ex) return;
      exports.set(id, ex);
      renderExports();
      if (ex.state === 'done' || ex.state === 'failed') {
        clearInterval(timer);
        timers.delete(timer);
      }
    }, 1000);
    timers.add(timer);
  }

  async function verifyUpload(file) {
    if (!file) return;
    fill(verifyOut, h('span', { class: 'muted' }, `${t('verifyRunning')} ${file.name}`));
    let res;
    try {
      res = await uploadZip(file);
    } catch (err) {
      fill(
        verifyOut,
        h(
          'b',
          { class: 'bad' },
          icon('cross'),
          ' ',
          err?.code === 'not_zip' ? t('verifyNotZip') : errorText(err),
        ),
      );
      return;
    }
    fill(
      verifyOut,
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

  const el = h(
    'section',
    { class: 'card pb-side' },
    incidentBox,
    h('h3', {}, t('export')),
    h('div', { class: 'muted' }, t('pbExportHint')),
    h('label', { class: 'pb-reason' }, t('exportReason'), reason),
    h(
      'button',
      { type: 'button', class: 'primary', id: 'export-start', onclick: () => void startExport() },
      t('pbExportMarked'),
    ),
    exportsBox,
    ...(MAY_VERIFY.includes(state.user?.role)
      ? [
          h('h3', {}, t('verify')),
          h('label', { class: 'verify-pick' }, t('verifyPick'), ' ', picker),
          verifyOut,
        ]
      : []),
  );
  void loadIncident();
  return {
    el,
    reload: loadIncident,
    onExportProgress(p) {
      if (!exports.has(p.id)) return;
      exports.set(p.id, { ...exports.get(p.id), ...p });
      renderExports();
    },
    close() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

function lockReason(reason) {
  if (reason === 'alarm clip') return t('pbLockAlarm');
  if (reason.startsWith('export ')) return t('pbLockExport');
  if (reason.startsWith('bookmark ')) return t('pbLockBookmark');
  return reason;
}
