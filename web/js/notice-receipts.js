// The receipts of the notices a supervisor's node sent (GET /api/notices/sent): every node a notice
// went to, confirmed or not, when, by whom and how long after sending, so the sender sees who is still
// silent before the city-wide list names them. `#/reports/notice/<id>` opens one notice at the top
// (GET /api/notices/:id): a link to a notice that is not the user's says so in words.
import { ApiError, api } from './api.js';
import { fill, h } from './dom.js';
import { errorSentence } from './errors.js';
import { fmtDateTime, fmtSeconds, t } from './i18n.js';
import { personEl } from './people.js';

/** A span as the monthly report words its times: to the second under an hour ("1 分 35 秒"). */
const took = (seconds) => fmtSeconds(seconds, { exact: true });

/** Why a notice cannot be shown, in the reader's words: not theirs (404), or not for their account (403). */
function refusal(err) {
  if (err instanceof ApiError && err.status === 404) return t('ntNotFound');
  if (err instanceof ApiError && err.status === 403) return t('ntForbidden');
  return err instanceof ApiError ? errorSentence(err) : err.message;
}

/** The targets still silent first (the ones to chase), then the confirmed in the order they answered. */
function ordered(targets) {
  const silent = targets.filter((x) => x.receivedAt === null);
  const got = targets
    .filter((x) => x.receivedAt !== null)
    .sort((a, b) => a.receiptSeconds - b.receiptSeconds);
  return [...silent, ...got];
}

function statusOf(n, x) {
  if (x.receivedAt === null) {
    const more = x.listedAt ? t('ntListed') : x.remindedAt ? t('ntReminded') : '';
    return h(
      'span',
      { class: 'receipt-state bad' },
      more ? `${t('ntNotReceived')} · ${more}` : t('ntNotReceived'),
    );
  }
  const late = x.receiptSeconds > n.receiptMinutes * 60;
  return h('span', { class: `receipt-state ${late ? 'warn' : 'ok'}` }, late ? t('ntLate') : t('ntOnTime'));
}

function noticeBlock(n, now, focus) {
  const got = n.targets.filter((x) => x.receivedAt !== null).length;
  const all = n.targets.length;
  return h(
    'article',
    { class: `sent-notice${focus ? ' focus' : ''}`, dataset: { notice: n.id } },
    h(
      'div',
      { class: 'sent-head' },
      h('strong', {}, fmtDateTime(n.sentAt)),
      ' · ',
      n.from?.name ?? '',
      n.sentBy !== n.from?.name ? [' · ', personEl(n.people, n.sentBy)] : null,
      ' · ',
      h('span', { class: `receipt-count ${got === all ? 'ok' : 'bad'}` }, t('ntReceivedOf', { got, all })),
      h('span', { class: 'muted' }, ` · ${t('ntDeadline', { n: n.receiptMinutes })}`),
    ),
    h(
      'div',
      { class: 'sent-text', title: n.text },
      n.text.length > 120 ? `${n.text.slice(0, 120)}…` : n.text,
    ),
    h(
      'table',
      { class: 'grid receipts' },
      h(
        'tr',
        {},
        [t('ntColNode'), t('ntColState'), t('ntColAt'), t('ntColTook'), t('ntColBy')].map((x) =>
          h('th', {}, x),
        ),
      ),
      ordered(n.targets).map((x) =>
        h(
          'tr',
          { dataset: { node: x.node } },
          h('td', {}, x.name),
          h('td', {}, statusOf(n, x)),
          h('td', {}, x.receivedAt ? fmtDateTime(x.receivedAt) : '—'),
          h(
            'td',
            {},
            x.receivedAt
              ? took(x.receiptSeconds)
              : t('ntWaiting', { d: took((now - Date.parse(n.sentAt)) / 1000) }),
          ),
          h('td', {}, x.receivedBy ? personEl(n.people, x.receivedBy) : '—'),
        ),
      ),
    ),
  );
}

/**
 * The card, and `top`: the notice of the link (`#/reports/notice/<id>`), or why it cannot be shown,
 * for the top of the page, where the officer who followed the link looks.
 */
export function sentNoticesCard(focus) {
  const card = h('section', { class: 'card', id: 'rep-sent' });
  const top = focus ? h('section', { class: 'card', id: 'rep-focus' }) : null;
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    const [sent, one] = await Promise.all([
      api('/api/notices/sent').catch((err) => ({ error: err })),
      focus ? api(`/api/notices/${encodeURIComponent(focus)}`).catch((err) => ({ error: err })) : undefined,
    ]);
    if (mine !== seq) return;
    const now = Date.now();
    const list = (sent.notices ?? []).filter((n) => n.id !== focus);
    if (top && one)
      fill(
        top,
        h('h3', {}, t('ntOneTitle')),
        one.error
          ? h('div', { class: 'bad', role: 'alert', id: 'notice-refused' }, refusal(one.error))
          : noticeBlock(one, now, true),
      );
    fill(
      card,
      h('h3', {}, t('ntSentTitle')),
      sent.error
        ? h('div', { class: 'bad', role: 'alert' }, refusal(sent.error))
        : list.length === 0 && !one?.id
          ? h('div', { class: 'muted empty-state' }, t('ntNoneSent'))
          : list.map((n) => noticeBlock(n, now, false)),
    );
  };
  void refresh();
  return { el: card, top, refresh };
}
