// Notices with receipts (issue 19): a pop-up on every desk of a node a notice is sent to, with a
// "confirm receipt" button (POST /api/notices/:id/receipt). It stays until confirmed; a reminder
// brings it back to the front. Mount once after login: `mountNotices()` returns an unmount function.
// Fed by the state's bus ('notice:new', 'notice:reminder' from Socket.IO /ops) and, after a
// reconnect or a reload, by GET /api/notices/pending.
import { api } from './api.js';
import { h } from './dom.js';
import { fmtDateTime, t } from './i18n.js';
import { state, subscribe } from './state.js';
import { canAct } from './widgets.js';

const open = new Map();
let layer;

function ensureLayer() {
  if (layer?.isConnected) return layer;
  layer = h('div', {
    id: 'notice-layer',
    class: 'notice-layer',
    role: 'alertdialog',
    'aria-live': 'assertive',
  });
  Object.assign(layer.style, {
    position: 'fixed',
    right: '1rem',
    top: '4.5rem',
    zIndex: '50',
    display: 'flex',
    flexDirection: 'column',
    gap: '0.6rem',
    maxWidth: '28rem',
  });
  document.body.append(layer);
  return layer;
}

function card(n, reminder) {
  const confirm = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      dataset: { notice: n.id },
      onclick: async () => {
        confirm.disabled = true;
        try {
          await api(`/api/notices/${encodeURIComponent(n.id)}/receipt`, { method: 'POST' });
          open.get(n.id)?.remove();
          open.delete(n.id);
        } catch (err) {
          confirm.disabled = false;
          status.textContent = err.message;
        }
      },
    },
    t('ntConfirm'),
  );
  const status = h('div', { class: 'muted small' });
  const el = h(
    'div',
    {
      class: `card notice-card${reminder ? ' notice-reminder' : ''}`,
      dataset: { notice: n.id },
      style: `border:2px solid ${reminder ? 'var(--p1)' : 'var(--accent)'};padding:0.8rem;background:var(--panel);box-shadow:0 6px 24px #0008`,
    },
    h('strong', {}, reminder ? t('ntReminder') : t('ntNew')),
    h(
      'div',
      { class: 'muted small' },
      t('ntFrom', { from: n.from?.name ?? n.sentBy ?? '', at: fmtDateTime(n.sentAt) }),
    ),
    h('p', { style: 'white-space:pre-wrap;font-size:1.1rem;margin:0.5rem 0' }, n.text),
    n.plate ? h('div', {}, t('ntPlateWatch', { plate: n.plate, until: fmtDateTime(n.plateUntil) })) : null,
    n.photo ? h('img', { src: n.photo, alt: '', style: 'max-width:100%;max-height:12rem' }) : null,
    confirm,
    status,
  );
  return el;
}

function show(n, reminder = false) {
  if (!n?.id) return;
  open.get(n.id)?.remove();
  const el = card(n, reminder);
  open.set(n.id, el);
  ensureLayer().prepend(el);
}

export function mountNotices() {
  // Notices go to the desks of stations and centres (the API's staff): not to shops, not to investigators.
  if (!canAct()) return () => {};
  const off = subscribe((kind, payload) => {
    if (kind === 'notice:new') show(payload);
    else if (kind === 'notice:reminder') {
      // The reminder names the notice; what the card shows comes from the notice itself.
      api(`/api/notices/${encodeURIComponent(payload.notice)}`)
        .then((n) => show(n, true))
        .catch(() => show({ id: payload.notice, text: payload.text, sentAt: payload.sentAt }, true));
    } else if (kind === 'connection' && state.connected) void catchUp();
  });
  const catchUp = () =>
    api('/api/notices/pending')
      .then((res) => {
        for (const n of res.notices ?? []) if (!open.has(n.id)) show(n);
      })
      .catch(() => undefined);
  void catchUp();
  return () => {
    off();
    for (const el of open.values()) el.remove();
    open.clear();
  };
}
