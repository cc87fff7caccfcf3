// Supervisors' and admins' page: the receiver itself, as a duty engineer checks it first. Tiles for
// the alarm path (the last minute's alarms and how long their senders waited for a durable decision,
// with a trace of that wait while the page is open), the panels, the cameras, the DC-09 receiver, the
// database and the cluster; then every outbox sink: how far behind, and failing since when.
// Reads GET /api/health every 5 s.
import { fill, h, svg } from './dom.js';
import { fmtSeconds, fmtTime, hasString, t } from './i18n.js';

const EVERY_MS = 5000;
/** Points of the wait trace: 10 minutes at one a refresh. */
const TRACE = 120;
/** A sender's wait for its durable decision: over these it is worth a look, then a problem. */
const WAIT_WARN_MS = 100;
const WAIT_BAD_MS = 1000;
/** A sink this long behind is worth a look even if nothing failed yet. */
const BEHIND_WARN_S = 60;

const SINKS = [
  'bus',
  'audit',
  'panel-acks',
  'webhooks',
  'workflow-notify',
  'workflow-confirm',
  'workflow-schedule',
  'workflow-test-push',
  'reports',
];

/**
 * A sink's name in words (`bus:<node>` is the bus relay of one node of a city); `known` false for a
 * sink this page has no name for.
 */
function sinkName(name) {
  const [base, node] = name.split(':');
  const key = `sysSink_${base}`;
  const known = hasString(key);
  const label = known ? t(key) : t('sysSinkOther');
  return { known, text: node ? t('sysSinkOnNode', { name: label, node }) : label };
}

/** A sink's level: red while it fails, yellow when its oldest row has waited too long. */
const sinkLevel = (s) => (s.failures > 0 ? 'bad' : s.behindSeconds > BEHIND_WARN_S ? 'warn' : 'ok');

const ms = (v) => t('sysMs', { n: v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v) });

function tile(id, title, level, big, ...lines) {
  return h(
    'section',
    { class: `card sys-tile sys-${level}`, id, dataset: { level } },
    h('h3', {}, title),
    h('div', { class: 'sys-big' }, big),
    lines.filter(Boolean).map((l) => h('div', { class: 'muted sys-line' }, l)),
  );
}

/** The trace's scale: logarithmic, 0.5 ms to 5 s, so 2 ms and 200 ms both read. */
const TRACE_LOW = Math.log10(0.5);
const TRACE_HIGH = Math.log10(5000);

/** The p99 wait of each refresh, newest last (a gap where a minute had no alarm), over the warn level. */
function trace(points) {
  const w = 240;
  const hgt = 48;
  const y = (v) => {
    const f = (Math.log10(Math.max(0.5, Math.min(5000, v))) - TRACE_LOW) / (TRACE_HIGH - TRACE_LOW);
    return hgt - f * (hgt - 2) - 1;
  };
  const x = (i) => (i / (TRACE - 1)) * w;
  const offset = TRACE - points.length;
  const path = points
    .map((p, i) => (p === undefined ? null : `${x(offset + i).toFixed(1)},${y(p).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  return svg(
    'svg',
    {
      class: 'sys-trace',
      viewBox: `0 0 ${w} ${hgt}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': t('sysTraceLabel'),
    },
    svg('line', { x1: 0, x2: w, y1: y(WAIT_WARN_MS), y2: y(WAIT_WARN_MS), class: 'sys-trace-warn' }),
    svg('polyline', { points: path, class: 'sys-trace-line' }),
  );
}

function sinkRows(sinks) {
  const names = Object.keys(sinks).sort((a, b) => {
    const ia = SINKS.indexOf(a.split(':')[0]);
    const ib = SINKS.indexOf(b.split(':')[0]);
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b);
  });
  return names.map((name) => {
    const s = sinks[name];
    const level = sinkLevel(s);
    const label = sinkName(name);
    const status =
      level === 'bad'
        ? t('sysSinkFailing', { n: s.failures, since: s.failingSince ? fmtTime(s.failingSince) : '—' })
        : level === 'warn'
          ? t('sysSinkSlow')
          : t('sysOk');
    return h(
      'tr',
      { class: `sys-${level}`, dataset: { sink: name, level } },
      // A sink this page has no name for keeps its own, for the engineer to look up.
      h('td', label.known ? {} : { title: name }, label.text),
      h('td', { class: 'num' }, s.behind > 0 ? t('sysRowsN', { n: s.behind }) : '0'),
      h('td', { class: 'num' }, s.behind > 0 ? fmtSeconds(s.behindSeconds) : '—'),
      h('td', { class: `sys-status sys-${level}` }, status),
    );
  });
}

export function mount(root) {
  const page = h('div', { class: 'page system-view', id: 'system-view' });
  root.append(page);
  const waits = [];
  let dead = false;

  function render(health, error, at) {
    if (error) {
      fill(
        page,
        h('h1', {}, t('navSystem')),
        tile('sys-service', t('sysService'), 'bad', t('sysUnreachable'), error),
      );
      return;
    }
    const c = health.checks;
    const core = c.core?.lastMinute;
    const sinks = c.outbox?.sinks ?? {};
    const waitLevel = !core
      ? 'ok'
      : core.waitMaxMs > WAIT_BAD_MS
        ? 'bad'
        : core.waitP99Ms > WAIT_WARN_MS
          ? 'warn'
          : 'ok';
    const panels = c.panels;
    const cams = c.cameras;
    const levels = Object.values(sinks).map(sinkLevel);
    const failing = levels.filter((l) => l === 'bad').length;
    const slow = levels.filter((l) => l === 'warn').length;
    const problems = [
      c.db !== 'ok' ? t('sysDbDown') : null,
      waitLevel !== 'ok' ? t('sysWaitSlow') : null,
      failing > 0 ? t('sysSinksFailing', { n: failing }) : null,
      slow > 0 ? t('sysSinksSlow', { n: slow }) : null,
      panels && panels.online < panels.panels
        ? t('sysPanelsOffline', { n: panels.panels - panels.online })
        : null,
      cams && cams.up < cams.cameras ? t('sysCamerasDown', { n: cams.cameras - cams.up }) : null,
    ].filter(Boolean);
    const overall =
      c.db !== 'ok' || failing > 0 || waitLevel === 'bad' ? 'bad' : problems.length ? 'warn' : 'ok';
    fill(
      page,
      h(
        'header',
        { class: 'sys-head' },
        h('h1', {}, t('navSystem')),
        h(
          'div',
          { class: 'muted' },
          t('sysRefreshed', {
            time: fmtTime(at),
            uptime: fmtSeconds(health.uptimeSeconds ?? 0),
            version: health.version ?? '',
          }),
        ),
      ),
      h(
        'div',
        { class: `sys-banner sys-${overall}`, id: 'sys-banner', role: 'status', dataset: { level: overall } },
        problems.length ? `${t('sysAttention')}：${problems.join('；')}` : t('sysAllOk'),
      ),
      h(
        'div',
        { class: 'sys-tiles' },
        h(
          'section',
          {
            class: `card sys-tile sys-wide sys-${waitLevel}`,
            id: 'sys-alarm-path',
            dataset: { level: waitLevel },
          },
          h('h3', {}, t('sysAlarmPath')),
          !core
            ? h('div', { class: 'muted' }, t('noData'))
            : [
                // A quiet minute has no wait to show: say so rather than "0 ms".
                core.committed > 0
                  ? [
                      h('div', { class: 'sys-big' }, t('sysWaitP99', { v: ms(core.waitP99Ms) })),
                      h(
                        'div',
                        { class: 'muted sys-line' },
                        t('sysWaitLine', {
                          n: core.committed,
                          p50: ms(core.waitP50Ms),
                          max: ms(core.waitMaxMs),
                        }),
                      ),
                    ]
                  : h('div', { class: 'sys-big' }, t('sysQuietMinute')),
                trace(waits),
                h('div', { class: 'muted small' }, t('sysTraceNote')),
              ],
        ),
        panels
          ? tile(
              'sys-panels',
              t('sysPanels'),
              panels.online < panels.panels ? 'warn' : 'ok',
              t('sysOnlineOf', { n: panels.online, of: panels.panels }),
              t('sysPanelsLine', { n: panels.connected ?? 0, port: panels.port ?? '—' }),
            )
          : null,
        cams
          ? tile(
              'sys-cameras',
              t('sysCameras'),
              cams.up < cams.cameras ? 'warn' : 'ok',
              cams.cameras === 0 ? t('sysNoCameras') : t('sysOnlineOf', { n: cams.up, of: cams.cameras }),
            )
          : null,
        c.dc09
          ? tile(
              'sys-dc09',
              t('sysDc09'),
              'ok',
              t('sysDc09Big', { n: c.dc09.connections ?? 0 }),
              t('sysDc09Line', { port: c.dc09.port ?? '—', n: c.dc09.accounts ?? 0 }),
            )
          : null,
        tile('sys-db', t('sysDb'), c.db === 'ok' ? 'ok' : 'bad', c.db === 'ok' ? t('sysOk') : t('sysDbDown')),
        c.cluster
          ? tile(
              'sys-cluster',
              t('sysCluster'),
              'ok',
              t('sysNodesN', { n: c.cluster.nodes }),
              t('sysThisNode', { node: c.cluster.node, n: c.cluster.cameras ?? 0 }),
            )
          : null,
      ),
      h(
        'section',
        { class: 'card sys-sinks', id: 'sys-sinks' },
        h('h3', {}, t('sysSinks')),
        h('div', { class: 'muted small' }, t('sysSinksNote')),
        h(
          'table',
          { class: 'grid' },
          h(
            'tr',
            {},
            h('th', {}, t('sysSinkCol')),
            h('th', { class: 'num' }, t('sysBehindCol')),
            h('th', { class: 'num' }, t('sysWaitedCol')),
            h('th', {}, t('sysStatusCol')),
          ),
          sinkRows(sinks),
        ),
      ),
    );
  }

  /** Health answers without a login, and answers 503 with the same body when the database is down. */
  async function read() {
    let res;
    try {
      res = await fetch('/api/health', { cache: 'no-store' });
    } catch {
      throw new Error(t('sysNoAnswer'));
    }
    const body = await res.json().catch(() => undefined);
    if (!body?.checks) throw new Error(t('sysNoAnswer'));
    return body;
  }

  async function refresh() {
    const at = new Date().toISOString();
    try {
      const health = await read();
      if (dead) return;
      waits.push(
        health.checks.core?.lastMinute?.committed ? health.checks.core.lastMinute.waitP99Ms : undefined,
      );
      if (waits.length > TRACE) waits.shift();
      render(health, undefined, at);
    } catch (err) {
      if (!dead) render(undefined, err.message, at);
    }
  }

  void refresh();
  const timer = setInterval(() => void refresh(), EVERY_MS);
  return () => {
    dead = true;
    clearInterval(timer);
  };
}
