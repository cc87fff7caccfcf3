// The monthly report page (issue 19): /report.html?node=ID&month=YYYY-MM. The console opens it for the
// signed-in user (progress streamed as NDJSON); the service's PDF renderer hands it the report in
// window.__REPORT__ and waits for window.__reportReady before printing. Charts are Chart.js
// (window.Chart, served from node_modules at /vendor/chart.js/).
import { ApiError, getToken, toApiError } from './api.js';
import { fill, h } from './dom.js';
import { errorSentence } from './errors.js';
import { fmtDateTime, fmtSeconds, getLang, hasString, setLang, t, tv } from './i18n.js';
import {
  bucketLabels,
  COLORS,
  chart,
  monthText,
  ratingsChart,
  secondsStep,
  wholeShares,
  zoneText,
} from './report-charts.js';
import { setZones } from './zone.js';

const params = new URLSearchParams(location.search);
const printing = params.get('print') === '1';
const root = document.getElementById('report');

const num = (v, digits = 0) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
/** A response time as the page words its times, to the second under an hour: "1 分 35 秒". */
const took = (v) => (v === null || v === undefined ? '—' : fmtSeconds(v, { exact: true }));
const pct = (v) => `${(v * 100).toFixed(1)}%`;

function table(headers, rows, numeric = []) {
  if (rows.length === 0) return h('p', { class: 'muted' }, t('rpNone'));
  return h(
    'table',
    {},
    h(
      'tr',
      {},
      headers.map((x, i) => h('th', { class: numeric.includes(i) ? 'num' : '' }, x)),
    ),
    rows.map((r) =>
      h(
        'tr',
        {},
        r.map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : '' }, c)),
      ),
    ),
  );
}

function section(title, ...body) {
  return h('section', {}, h('h2', {}, title), ...body);
}

function render(r) {
  // The report's days and times are of its own zone (ratings.timezone), on any desk and in the PDF.
  setZones({ hall: r.timezone, months: r.timezone }, { remember: false });
  const f = r.figures;
  const c = r.charts;
  const link = (format) => {
    const u = new URL('/api/reports/monthly', location.origin);
    u.searchParams.set('node', r.node.id);
    u.searchParams.set('month', r.month);
    u.searchParams.set('format', format);
    if (format === 'pdf') u.searchParams.set('lang', getLang() === 'en' ? 'en' : 'zh');
    return u;
  };
  const download = (format) =>
    h(
      'a',
      {
        href: '#',
        onclick: async (e) => {
          e.preventDefault();
          const res = await fetch(link(format), { headers: { authorization: `Bearer ${getToken()}` } });
          if (!res.ok) {
            const err = toApiError(res, await res.json().catch(() => undefined));
            return alert(t('rpFailed', { message: err.message }));
          }
          const a = h('a', {
            href: URL.createObjectURL(await res.blob()),
            download: `sharpeyes-${r.node.id}-${r.month}.${format}`,
          });
          a.click();
        },
      },
      t(format === 'csv' ? 'rpCsv' : 'rpPdf'),
    );

  const ratingCounts = r.ratings.counts;
  fill(
    root,
    h(
      'header',
      { class: 'report-head' },
      h(
        'div',
        {},
        h('h1', {}, `${r.node.name} · ${t('rpTitle')}`),
        h(
          'div',
          { class: 'muted' },
          t('rpMonthZone', {
            month: monthText(r.month),
            zone: zoneText(r.timezone, Date.parse(r.from ?? r.asOf ?? '')),
          }),
        ),
      ),
      h(
        'div',
        { class: 'meta' },
        // The service's time, handed in with the report: the PDF's browser prints on its own clock.
        t('rpGenerated', { at: fmtDateTime(r.generatedAt ?? new Date().toISOString()) }),
        printing ? null : h('div', { class: 'actions' }, download('csv'), download('pdf')),
      ),
    ),
    r.running ? h('div', { class: 'notice' }, t('rpRunning', { asOf: fmtDateTime(r.asOf) })) : null,
    r.complete ? null : h('div', { class: 'notice' }, t('rpIncomplete')),
    h(
      'div',
      { class: 'kpis' },
      [
        [f.counts.alarms, t('rpAlarms')],
        [f.counts.confirmed, t('rpConfirmed')],
        [f.counts.falseAlarms, t('rpFalseAlarms')],
        [pct(f.counts.falseAlarmRate), t('rpFalseRate')],
        [f.counts.maintenance, t('rpMaintenance')],
        [f.escalations.unanswered, t('rpUnanswered')],
      ].map(([v, label]) => h('div', { class: 'kpi' }, h('b', {}, String(v)), h('span', {}, label))),
    ),
    section(
      t('rpByDay'),
      chart(
        'bar',
        {
          labels: c.byDay.map((d) => d.day.slice(8)),
          datasets: [
            { label: t('rpAlarms'), data: c.byDay.map((d) => d.alarms), backgroundColor: COLORS.red },
            {
              label: t('rpMaintenance'),
              data: c.byDay.map((d) => d.maintenance),
              backgroundColor: COLORS.grey,
            },
          ],
        },
        {
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        },
        t('rpEmptyByDay'),
      ),
    ),
    h(
      'div',
      { class: 'grid2' },
      section(
        t('rpByHour'),
        chart(
          'bar',
          {
            labels: c.byHour.map((x) => String(x.hour).padStart(2, '0')),
            datasets: [
              { label: t('rpAlarms'), data: c.byHour.map((x) => x.alarms), backgroundColor: COLORS.blue },
            ],
          },
          { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
          t('rpEmptyByHour'),
        ),
      ),
      section(
        `${t('rpAckDist')} / ${t('rpArriveDist')}`,
        chart(
          'bar',
          {
            labels: bucketLabels(c.distributions.bucketsSeconds),
            datasets: [
              { label: t('m_acknowledge'), data: c.distributions.acknowledge, backgroundColor: COLORS.blue },
              { label: t('m_arrive'), data: c.distributions.arrive, backgroundColor: COLORS.orange },
            ],
          },
          { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
          t('rpEmptyDist'),
        ),
      ),
    ),
    h(
      'div',
      { class: 'grid2' },
      section(
        t('rpTrend'),
        chart(
          'line',
          {
            labels: c.trend.map((x) => monthText(x.month)),
            datasets: [
              {
                label: t('rpAckP50'),
                data: c.trend.map((x) => x.acknowledge.p50),
                borderColor: COLORS.blue,
                backgroundColor: COLORS.blue,
                yAxisID: 'y',
              },
              {
                label: t('rpArriveP50'),
                data: c.trend.map((x) => x.arrive.p50),
                borderColor: COLORS.orange,
                backgroundColor: COLORS.orange,
                yAxisID: 'y',
              },
              {
                label: t('rpAlarms'),
                data: c.trend.map((x) => x.alarms),
                type: 'bar',
                backgroundColor: 'rgba(215,38,61,0.25)',
                yAxisID: 'y1',
              },
            ],
          },
          {
            // The medians in 秒 and 分 on the axis and on hover, at steps of whole units.
            plugins: {
              legend: { display: true },
              tooltip: {
                callbacks: {
                  label: (x) =>
                    `${x.dataset.label}: ${x.dataset.yAxisID === 'y' ? fmtSeconds(x.parsed.y, { exact: true }) : x.parsed.y}`,
                },
              },
            },
            scales: {
              y: {
                beginAtZero: true,
                position: 'left',
                ticks: {
                  stepSize: secondsStep(c.trend.flatMap((x) => [x.acknowledge.p50, x.arrive.p50])),
                  callback: (v) => fmtSeconds(v, { exact: true }),
                },
              },
              y1: {
                beginAtZero: true,
                position: 'right',
                grid: { drawOnChartArea: false },
                ticks: { precision: 0 },
              },
            },
          },
          t('rpEmptyTrend'),
        ),
      ),
      section(
        t('rpResponse'),
        table(
          [t('rpMeasure'), t('rpCount'), t('rpMedian'), t('rpP90'), t('rpMax')],
          ['acknowledge', 'dispatch', 'arrive', 'resolve'].map((m) => {
            const s = f.response[m];
            return [t(`m_${m}`), String(s.count), took(s.p50), took(s.p90), took(s.max)];
          }),
          [1, 2, 3, 4],
        ),
        f.children.length > 0
          ? h(
              'div',
              { class: 'sub-table' },
              h('h2', {}, t('rpChildren')),
              table(
                [
                  t('rpNode'),
                  t('rpAlarms'),
                  t('rpFalseAlarms'),
                  `${t('m_acknowledge')} ${t('rpMedian')}`,
                  `${t('m_arrive')} ${t('rpMedian')}`,
                  t('rpUnanswered'),
                ],
                f.children.map((ch) => [
                  ch.name,
                  String(ch.counts.alarms),
                  String(ch.counts.falseAlarms),
                  took(ch.response.acknowledge.p50),
                  took(ch.response.arrive.p50),
                  String(ch.counts.unanswered),
                ]),
                [1, 2, 3, 4, 5],
              ),
            )
          : null,
      ),
    ),
    h(
      'div',
      { class: 'grid2' },
      section(t('rpRatings'), ratingsChart(ratingCounts)),
      section(
        t('rpUnits'),
        chart(
          'bar',
          {
            labels: f.units.map((u) => u.name),
            datasets: [
              {
                label: t('rpDispatches'),
                data: f.units.map((u) => u.dispatches),
                backgroundColor: COLORS.blue,
              },
              {
                label: t('rpBusyHours'),
                data: f.units.map((u) => u.busyHours),
                backgroundColor: COLORS.orange,
              },
            ],
          },
          { indexAxis: 'y', scales: { x: { beginAtZero: true } } },
          t('rpEmptyUnits'),
        ),
      ),
    ),
    section(
      t('rpRatingChanges'),
      table(
        [t('site'), t('rating'), t('rpPrevious'), t('rpStreak'), t('rpReasons')],
        r.ratings.sites
          .filter((s) => s.rating !== 'green' || s.previous !== 'green')
          .map((s) => [
            h('span', {}, s.name, s.partial ? h('span', { class: 'muted' }, ` (${t('rpPartial')})`) : null),
            h(
              'span',
              {},
              h('span', { class: `chip ${s.rating}` }, tv('rating', s.rating)),
              s.change && s.change !== 'same' ? ` ${tv('change', s.change)}` : '',
            ),
            s.previous ? tv('rating', s.previous) : '—',
            h(
              'span',
              { class: s.flagged ? 'flag' : '' },
              `${s.redStreak} / ${s.alertStreak}${s.flagged ? ` · ${t('rpFlagged')}` : ''}`,
            ),
            s.reasons.map((x) => `${tv('measure', x.measure)} ${x.value} ≥ ${x.threshold}`).join('; '),
          ]),
      ),
    ),
    // How the month's alarms were closed (结案 outcome, 误报 cause): older reports carry no byOutcome.
    f.counts.byOutcome
      ? h(
          'div',
          { class: 'grid2', id: 'rp-outcomes' },
          ...['resolved', 'false_alarm'].map((state) => {
            const rows = f.counts.byOutcome.filter((o) => o.state === state);
            const all = rows.reduce((a, o) => a + o.count, 0);
            // Tenths of a percent that add up to 100.0%, as the colours' shares add up to 100%.
            const tenths = wholeShares(
              rows.map((o) => o.count),
              1000,
            );
            return section(
              t(state === 'resolved' ? 'rpOutcomes' : 'rpCauses'),
              table(
                ['', t('rpCount'), t('rpShare')],
                rows.map((o, i) => [
                  o.outcome === null
                    ? t('rpNoOutcome')
                    : hasString(`outcome_${o.outcome}`)
                      ? t(`outcome_${o.outcome}`)
                      : o.label,
                  String(o.count),
                  all > 0 ? `${(tenths[i] / 10).toFixed(1)}%` : '–',
                ]),
                [1, 2],
              ),
            );
          }),
        )
      : null,
    h(
      'div',
      { class: 'grid2' },
      section(
        t('rpSites'),
        table(
          [t('site'), t('rpAlarms'), t('rpFalseAlarms'), t('rpFalseRate')],
          f.sites
            .filter((s) => s.falseAlarms > 0)
            .slice(0, 10)
            .map((s) => [s.name, String(s.alarms), String(s.falseAlarms), pct(s.falseAlarmRate)]),
          [1, 2, 3],
        ),
      ),
      section(
        t('rpOffline'),
        table(
          ['', t('rpHours'), t('rpCount')],
          [
            [t('rpPanels'), num(f.offline.panels.seconds / 3600, 1), String(f.offline.panels.episodes)],
            [t('rpCameras'), num(f.offline.cameras.seconds / 3600, 1), String(f.offline.cameras.episodes)],
          ],
          [1, 2],
        ),
      ),
    ),
    section(
      t('rpUnanswered'),
      table(
        [t('colTime'), t('site'), t('colPriority'), t('rpAckAfter')],
        f.escalations.list.slice(0, 20).map((e) => [
          fmtDateTime(e.openedAt),
          e.siteName,
          `P${e.priority}`,
          // From the alarm's opening to its acknowledgement, as 响应用时's 接警: read as precisely.
          e.acknowledgeSeconds === null ? t('rpNotAcked') : took(e.acknowledgeSeconds),
        ]),
        [3],
      ),
    ),
    section(
      t('rpNotices'),
      h(
        'p',
        {},
        `${t('rpReceived')} ${r.notices.received}/${r.notices.targets} · ${t('rpOnTime')} ${r.notices.onTime}`,
      ),
      table(
        [t('colTime'), t('ntText'), t('rpNode'), t('rpReceived')],
        r.notices.list.flatMap((n) =>
          n.targets.map((x) => [
            fmtDateTime(n.sentAt),
            n.text,
            x.name,
            x.receiptSeconds === null ? t('rpNotReceived') : took(x.receiptSeconds),
          ]),
        ),
      ),
    ),
  );
  root.setAttribute('aria-busy', 'false');
  // Two frames: Chart.js draws in the microtasks queued above; then the page is ready to print.
  requestAnimationFrame(() => requestAnimationFrame(() => (window.__reportReady = true)));
}

function progress(p) {
  document.getElementById('report-progress-text').textContent = `${t('rpLoading')} ${t('rpStep', p)}`;
  const bar = document.getElementById('report-progress-bar');
  bar.max = p.total;
  bar.value = p.done;
}

async function load() {
  const u = new URL('/api/reports/monthly', location.origin);
  // Without a node, the report is of the user's own area (the API's default).
  if (params.get('node')) u.searchParams.set('node', params.get('node'));
  u.searchParams.set('month', params.get('month') ?? '');
  const res = await fetch(u, {
    headers: { authorization: `Bearer ${getToken()}`, accept: 'application/x-ndjson' },
  }).catch((err) => {
    console.warn('report: request failed', err);
    throw new ApiError(0, 'network', errorSentence({ code: 'network' }));
  });
  // The refusal in the reader's language (errors.js); the server's English stays for support.
  if (!res.ok) throw toApiError(res, await res.json().catch(() => undefined));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (msg.progress) progress(msg.progress);
      if (msg.error)
        throw new ApiError(200, msg.error.code, errorSentence({ code: msg.error.code }), {
          serverMessage: msg.error.message,
        });
      if (msg.result) return msg.result;
      nl = buf.indexOf('\n');
    }
  }
  throw new Error('no report');
}

if (window.__REPORT_LANG__) setLang(window.__REPORT_LANG__);
progress({ done: 0, total: 1 });
Promise.resolve(window.__REPORT__ ?? load())
  .then(render)
  .catch((err) => {
    if (!(err instanceof ApiError)) console.error('report: failed', err);
    const message = err instanceof ApiError ? err.message : errorSentence({ code: 'internal' });
    fill(
      root,
      h('p', { class: 'error' }, t('rpFailed', { message })),
      // The page has no login of its own: the console's is one click away.
      err instanceof ApiError && err.status === 401 ? h('p', {}, h('a', { href: '/' }, t('rpLogIn'))) : null,
    );
    root.setAttribute('aria-busy', 'false');
    window.__reportReady = true;
  });
