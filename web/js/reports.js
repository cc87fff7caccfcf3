// Supervisors' page: escalations nobody answered, response times per station and unit, and the
// monthly green/yellow/red rating of sites (GET /api/reports/*), the receipts of the notices sent.
// A card with nothing to show says why (nothing rang, nothing in the area, not readable), not "—".
import { ApiError, optional } from './api.js';
import { wantDetails } from './details.js';
import { fill, h } from './dom.js';
import { errorSentence } from './errors.js';
import { fmtAge, fmtTime, t } from './i18n.js';
import { sentNoticesCard } from './notice-receipts.js';
import { escalatedBadge } from './queue-row.js';
import { siteName, state, subscribe } from './state.js';
import { noticeCard, ratingRulesText, reportCard } from './supervision-cards.js';
import { incidentType, priorityBadge, stateChip } from './widgets.js';
import { instantAt, monthOf, monthZone } from './zone.js';

/** The built-in rule's text as the server states it; a configured rule (issue 19) is shown as given. */
const DEFAULT_RATING_RULE =
  'red: >=3 false alarms or a trouble ticket open >72 h; yellow: 1-2 false alarms, >=3 tickets or any open ticket; else green';

const secs = (v) =>
  v === null || v === undefined
    ? t('noData')
    : v < 120
      ? t('secondsN', { n: Math.round(v) })
      : t('minutesN', { n: (v / 60).toFixed(1) });

/**
 * The last 24 months as choices ("2026年5月"): a native month input draws itself in the browser's
 * own language, which on an English-installed desk PC puts "May 2026" on a Chinese page. Months of
 * the rated zone (zone.js), not the desk PC's.
 */
function monthSelect() {
  const [year, month] = monthOf(Date.now()).split('-').map(Number);
  const options = Array.from({ length: 24 }, (_, i) => {
    const y = year + Math.floor((month - 1 - i) / 12);
    const m = ((((month - 1 - i) % 12) + 12) % 12) + 1;
    return h('option', { value: `${y}-${String(m).padStart(2, '0')}` }, t('monthLabel', { y, m }));
  });
  return h('select', { id: 'rep-month' }, options);
}
/** "2026-05" as the month select shows it: "2026年5月". */
const monthText = (month) => {
  const [y, m] = month.split('-').map(Number);
  return t('monthLabel', { y, m });
};

/**
 * The month's first instant and its end (now, for the running month) in the rated zone, as the
 * figures' `from` and `to`: the response times are of the month the page shows, like the ratings.
 */
function monthSpan(month) {
  const [year, m] = month.split('-').map(Number);
  const from = instantAt({ year, month: m }, monthZone());
  const to = Math.max(from + 1000, Math.min(instantAt({ year, month: m + 1 }, monthZone()), Date.now()));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

const spread = (s) => (s && s.count > 0 ? `${secs(s.p50)} / ${secs(s.p90)}` : t('noData'));

/** A table, or (no rows) the sentence saying why there is nothing to show. */
function table(headers, rows, empty) {
  if (rows.length === 0) return empty ? h('div', { class: 'muted empty-state' }, empty) : null;
  return h(
    'table',
    { class: 'grid' },
    h(
      'tr',
      {},
      headers.map((x) => h('th', {}, x)),
    ),
    rows,
  );
}

/** An answer that did not come: why, in the reader's words (a missing route: not readable now). */
const unreadable = (res) =>
  h(
    'div',
    { class: 'bad empty-state', role: 'alert' },
    res?.error instanceof ApiError ? errorSentence(res.error) : t('emptyUnavailable'),
  );

/** `#/reports/notice/<id>` opens that notice's receipts first (a link from a desk or a colleague). */
export function mount(root, params = []) {
  const month = monthSelect();

  const escalated = h('section', { class: 'card', id: 'rep-escalated' });
  const times = h('section', { class: 'card', id: 'rep-times' });
  const ratings = h('section', { class: 'card', id: 'rep-ratings' });
  const sent = sentNoticesCard(params[0] === 'notice' ? params[1] : undefined);
  const notices = noticeCard(() => void sent.refresh());

  function renderEscalated() {
    const list = [...state.incidents.values()]
      .filter((i) => i.state === 'new' && (i.escalations ?? []).length > 0)
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
    wantDetails(list);
    fill(
      escalated,
      h('h3', {}, t('unanswered')),
      table(
        [t('colPriority'), t('colTime'), t('colSite'), t('colType'), t('colState')],
        list.map((i) =>
          h(
            'tr',
            {
              class: 'selectable',
              dataset: { id: i.id },
              onclick: () => (location.hash = `#/incident/${i.id}`),
            },
            h('td', {}, priorityBadge(i.priority)),
            h('td', {}, `${fmtTime(i.openedAt)} · ${fmtAge(i.openedAt)}`),
            h('td', {}, siteName(i.site)),
            h('td', {}, incidentType(i)),
            h('td', {}, stateChip(i.state), ' ', escalatedBadge(i)),
          ),
        ),
        t('emptyEscalated'),
      ),
    );
  }

  let loading = 0;
  async function load() {
    const seq = ++loading;
    const chosen = month.value;
    const span = new URLSearchParams(monthSpan(chosen));
    const [rt, rr] = await Promise.all([
      optional(`/api/reports/response-times?${span}`).catch((error) => ({ error })),
      optional(`/api/reports/ratings?month=${chosen}`).catch((error) => ({ error })),
    ]);
    const running = chosen === monthOf(Date.now());
    const stations = rt?.stations ?? [];
    // Every station at 0: the table stays (each station's 0 is a figure), and says why its times are "—".
    const quiet =
      stations.length > 0 && stations.every((s) => s.incidents === 0)
        ? h(
            'div',
            { class: 'muted empty-state' },
            t(running ? 'emptyNoAlarmsYet' : 'emptyNoAlarms', { month: monthText(chosen) }),
          )
        : null;
    // A month chosen since: its answers draw, not these late ones.
    if (seq !== loading) return;
    fill(
      times,
      h('h3', {}, `${t('responseTimes')} ${monthText(chosen)}（${t('percentiles')}）`),
      rt?.stations ? quiet : unreadable(rt),
      table(
        [t('station'), t('incidents'), t('falseAlarm'), t('toAck'), t('toArrival')],
        stations.map((s) =>
          h(
            'tr',
            {},
            h('td', {}, s.name),
            h('td', {}, s.incidents),
            h('td', {}, s.falseAlarms),
            h('td', {}, spread(s.acknowledge)),
            h('td', {}, spread(s.arrival)),
          ),
        ),
        rt?.stations ? t('emptyNoStations') : '',
      ),
      h('h3', {}, t('units')),
      table(
        [t('units'), t('dispatch'), t('travel'), t('toArrival')],
        (rt?.units ?? []).map((u) =>
          h(
            'tr',
            {},
            h('td', {}, u.name),
            h('td', {}, u.dispatches),
            h('td', {}, spread(u.dispatchToArrival)),
            h('td', {}, spread(u.openToArrival)),
          ),
        ),
        rt?.units ? t('emptyNoUnits') : '',
      ),
    );
    fill(
      ratings,
      h('h3', {}, `${t('rating')} ${monthText(rr?.month ?? chosen)}`),
      rr?.rule
        ? h(
            'div',
            { class: 'muted small', id: 'rating-rule' },
            rr.rules
              ? ratingRulesText(rr.rules)
              : rr.rule === DEFAULT_RATING_RULE
                ? t('ratingRuleDefault')
                : rr.rule,
          )
        : null,
      table(
        [t('site'), t('rating'), t('incidents'), t('falseAlarm'), t('troubleTickets')],
        (rr?.sites ?? [])
          .sort(
            (a, b) =>
              ['red', 'yellow', 'green'].indexOf(a.rating) - ['red', 'yellow', 'green'].indexOf(b.rating),
          )
          .map((s) =>
            h(
              'tr',
              { dataset: { site: s.id } },
              h('td', {}, s.name),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `rating rating-${s.rating}` },
                  t(`rating${s.rating.charAt(0).toUpperCase()}${s.rating.slice(1)}`),
                ),
                // Issue 19: red or yellow months in a row (连续预警).
                s.flagged
                  ? h(
                      'span',
                      { class: 'flag', title: t('rpStreak') },
                      ` ⚑ ${t('rpFlagged')} ×${s.alertStreak}`,
                    )
                  : null,
              ),
              h('td', {}, s.alarms),
              h('td', {}, `${s.falseAlarms} (${Math.round((s.falseAlarmRate ?? 0) * 100)}%)`),
              h(
                'td',
                {},
                `${s.troubleTickets}${s.oldestOpenTroubleHours > 0 ? ` · ${Math.round(s.oldestOpenTroubleHours)} h` : ''}`,
              ),
            ),
          ),
        !rr?.sites
          ? ''
          : state.available.sites && state.sites.size === 0
            ? t('emptyNoSites')
            : t('emptyNoRatings', { month: monthText(rr.month ?? chosen) }),
      ),
      rr?.sites ? null : unreadable(rr),
    );
  }

  month.addEventListener('change', () => void load());
  root.append(
    h(
      'div',
      { class: 'page reports-view', id: 'reports-view' },
      sent.top,
      h('div', { class: 'card inv-form' }, h('label', {}, t('month'), month)),
      h('div', { class: 'reports-grid' }, reportCard(month), escalated, times, ratings, notices.el, sent.el),
    ),
  );
  renderEscalated();
  void load();
  return subscribe((kind) => {
    if (kind === 'incident' || kind === 'incidents' || kind === 'details') renderEscalated();
    if (kind === 'notice:silent' || kind === 'notice:receipt') void notices.refresh();
    if (kind === 'notice:receipt' || kind === 'notice:silent') void sent.refresh();
  });
}
