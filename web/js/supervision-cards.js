// Issue 19 cards on the supervisors' page: the monthly report of a node (opens /report.html, which
// has the charts, CSV and PDF), sending a notice with receipts, and the city-wide list of the silent.
import { ApiError, api, optional } from './api.js';
import { fill, h, toast } from './dom.js';
import { errorSentence } from './errors.js';
import { fmtDateTime, labelled, t, tv } from './i18n.js';
import { indentedName, state, treeNodes } from './state.js';

/** Node and month choice; "build report" opens the report page (same origin: it uses this session). */
export function reportCard(monthSelect) {
  const node = h(
    'select',
    { id: 'rep-node' },
    treeNodes().map((n) => h('option', { value: n.id }, indentedName(n))),
  );
  const open = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      id: 'rep-open',
      onclick: () => {
        const u = new URL('/report.html', location.origin);
        u.searchParams.set('node', node.value);
        u.searchParams.set('month', monthSelect.value);
        window.open(u.toString(), '_blank', 'noopener');
      },
    },
    t('rpOpen'),
  );
  return h(
    'section',
    { class: 'card', id: 'rep-monthly' },
    h('h3', {}, t('rpTitle')),
    h('label', {}, t('rpNode'), ' ', node),
    ' ',
    open,
  );
}

/**
 * Sending a notice (supervisors and admins) and the list of nodes still silent past the listing time;
 * `onSent` is told of each notice sent (the receipts card shows it at once).
 */
export function noticeCard(onSent = () => {}) {
  const card = h('section', { class: 'card', id: 'rep-notices' });
  const silent = h('div', { id: 'notice-silent' });
  const loadSilent = async () => {
    const res = await optional('/api/notices/silent').catch(() => undefined);
    fill(
      silent,
      h('h4', {}, t('ntSilent')),
      (res?.silent ?? []).length === 0
        ? h('div', { class: 'muted empty-state' }, t('ntNoneSilent'))
        : h(
            'ul',
            {},
            res.silent.map((s) =>
              h('li', {}, `${s.name} · ${s.text.slice(0, 40)} · ${fmtDateTime(s.sentAt)}`),
            ),
          ),
    );
  };
  const canSend = ['supervisor', 'admin'].includes(state.user?.role);
  const picks = treeNodes().map((n) => ({ n, box: h('input', { type: 'checkbox', value: n.id }) }));
  const text = h('textarea', { id: 'notice-text', rows: 3, maxlength: 2000 });
  const minutes = h('input', { type: 'number', id: 'notice-minutes', min: 1, max: 1440, placeholder: '5' });
  const plate = h('input', { id: 'notice-plate', maxlength: 16 });
  // What is wrong with the notice, next to its button: checked here first, then the server's word
  // on each field in this form's terms (its `to` are recipients and its `text` the notice, not the
  // end time and the note they are elsewhere).
  const problem = h('div', { class: 'bad', id: 'notice-problem', role: 'alert' });
  const fields = () => ({
    to: t('ntFieldTo'),
    text: t('ntFieldText'),
    receiptMinutes: t('ntFieldMinutes'),
    plate: t('ntFieldPlate'),
  });
  const send = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      id: 'notice-send',
      style: 'justify-self:start',
      onclick: async () => {
        const to = picks.filter((p) => p.box.checked).map((p) => p.n.id);
        const body = { to, text: text.value };
        if (minutes.value) body.receiptMinutes = Number(minutes.value);
        if (plate.value.trim()) body.plate = plate.value.trim();
        problem.textContent =
          to.length === 0
            ? t('ntPickTargets')
            : text.value.trim() === ''
              ? t('chk_empty', { field: t('ntFieldText') })
              : '';
        if (problem.textContent) return;
        send.disabled = true;
        try {
          await api('/api/notices', { method: 'POST', body });
          toast(t('ntSent'));
          onSent();
          text.value = '';
          plate.value = '';
        } catch (err) {
          problem.textContent = err instanceof ApiError ? errorSentence(err, fields()) : err.message;
        } finally {
          send.disabled = false;
        }
      },
    },
    t('ntSend'),
  );
  fill(
    card,
    h('h3', {}, t('ntSend')),
    canSend
      ? h(
          'div',
          { class: 'notice-form', style: 'display:grid;gap:0.5rem;max-width:40rem' },
          h(
            'div',
            {},
            t('ntTo'),
            h(
              'div',
              {
                class: 'notice-targets',
                style: 'display:flex;flex-wrap:wrap;gap:0.3rem 1rem;margin:0.3rem 0',
              },
              picks.map((p) => h('label', { style: 'white-space:nowrap' }, p.box, ` ${p.n.name.trim()}`)),
            ),
          ),
          h('label', { style: 'display:grid' }, t('ntText'), text),
          h('label', {}, `${t('ntReceiptMinutes')} `, minutes),
          h('label', {}, `${t('ntPlate')} `, plate),
          send,
          problem,
        )
      : null,
    silent,
  );
  void loadSilent();
  return { el: card, refresh: loadSilent };
}

/**
 * The configured rating rules (`rules` of GET /api/reports/ratings) in the user's language, one
 * sentence per kind of site: "红：本月误报 3 次及以上，或……；黄：……；其余为绿。"
 */
export function ratingRulesText(rules) {
  if (!rules?.thresholds) return '';
  const phrase = (measure, n) => {
    const key = `rule_${measure}`;
    const s = t(key, { n });
    return s === key ? t('rule_count', { name: tv('measure', measure), n }) : s;
  };
  const level = (m) =>
    Object.entries(m ?? {})
      .map(([measure, n]) => phrase(measure, n))
      .join(t('ruleOr'));
  const kinds = Object.entries(rules.thresholds).map(([kind, th]) => {
    const text = t('ruleKind', { red: level(th.red) || '—', yellow: level(th.yellow) || '—' });
    return kind === 'default' ? text : `${labelled(tv('kind', kind))}${text}`;
  });
  return `${kinds.join(' ')} ${t('ruleFlag', { n: rules.flagAfterMonths })}`;
}
