// 系统状态's banner and tiles (web/js/system.js): what needs attention, who has taken charge of it,
// then the alarm path (with the trace of its wait while the page is open), the panels, the cameras,
// recording, the DC-09 receiver, the database and the cluster, each green, yellow or red.
import { h, svg } from './dom.js';
import { t } from './i18n.js';
import { jurisdictionName } from './state.js';
import {
  ackedBy,
  lostSentence,
  ms,
  recordingSentences,
  storageSentence,
  takenInCharge,
} from './system-alert.js';
import {
  logScale,
  onlineLevel,
  recordingLevel,
  sinkLevel,
  WAIT_WARN_MS,
  waitLevel,
} from './system-levels.js';

/** Points of the wait trace: 10 minutes at one a refresh. */
export const TRACE = 120;

/**
 * Panels or cameras lost together (`checks.panels` / `checks.cameras` of the node that judges) in
 * words, or null when they are not a trouble.
 */
function lostTogether(kind, counts) {
  if (!counts?.lostTogetherLevel) return null;
  const spanSeconds = (Date.parse(counts.lostTogetherTo) - Date.parse(counts.lostTogetherFrom)) / 1000 || 0;
  // Named when the user's tree knows the place (a raw id means nothing on a desk).
  const id = counts.lostTogetherWhere;
  const where = id && jurisdictionName(id) !== id ? jurisdictionName(id) : undefined;
  return lostSentence(kind, counts.lostTogether, counts[kind], spanSeconds, where);
}

export function tile(id, title, level, big, ...lines) {
  return h(
    'section',
    { class: `card sys-tile sys-${level}`, id, dataset: { level } },
    h('h3', {}, title),
    h('div', { class: 'sys-big' }, big),
    lines.filter(Boolean).map((l) => h('div', { class: 'muted sys-line' }, l)),
  );
}

/** The p99 wait of each refresh, newest last (a gap where a minute had no alarm), over the warn level. */
function trace(points) {
  const w = 240;
  const hgt = 48;
  const y = (v) => hgt - logScale(v) * (hgt - 2) - 1;
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
      dataset: { points: points.length },
    },
    svg('line', { x1: 0, x2: w, y1: y(WAIT_WARN_MS), y2: y(WAIT_WARN_MS), class: 'sys-trace-warn' }),
    svg('polyline', { points: path, class: 'sys-trace-line' }),
  );
}

/** The banner and the tiles of a health answer's `checks`, `waits` the trace's points. */
export function statusParts(c, waits) {
  const core = c.core?.lastMinute;
  const sinks = c.outbox?.sinks ?? {};
  const coreLevel = core ? waitLevel(core.waitP99Ms, core.waitMaxMs) : 'ok';
  const panels = c.panels;
  // Many lost together: the network's, a carrier's or the centre's own link's fault (one trouble).
  const panelsLost = lostTogether('panels', panels);
  const panelsLevel =
    panels?.lostTogetherLevel ?? (panels ? onlineLevel(panels.online, panels.panels) : 'ok');
  const cams = c.cameras;
  const camerasLost = lostTogether('cameras', cams);
  const camerasLevel = cams?.lostTogetherLevel ?? (cams ? onlineLevel(cams.up, cams.cameras) : 'ok');
  const levels = Object.values(sinks).map(sinkLevel);
  const failing = levels.filter((l) => l === 'bad').length;
  const slow = levels.filter((l) => l === 'warn').length;
  const rec = c.recording;
  const recProblems = rec
    ? [
        storageSentence(rec.storageShort, rec.storageFull),
        ...recordingSentences(rec.camerasFailing, rec.camerasDropping),
      ].filter(Boolean)
    : [];
  const recLevel = rec
    ? recordingLevel(rec.camerasFailing, rec.camerasDropping, rec.storageShort, rec.storageFull)
    : 'ok';
  const problems = [
    c.db !== 'ok' ? t('sysDbDown') : null,
    coreLevel !== 'ok' ? t('sysWaitSlow') : null,
    failing > 0 ? t('sysSinksFailing', { n: failing }) : null,
    slow > 0 ? t('sysSinksSlow', { n: slow }) : null,
    panelsLost ??
      (panels && panels.online < panels.panels
        ? t('sysPanelsOffline', { n: panels.panels - panels.online })
        : null),
    camerasLost ??
      (cams && cams.up < cams.cameras ? t('sysCamerasDown', { n: cams.cameras - cams.up }) : null),
    ...recProblems,
  ].filter(Boolean);
  const overall =
    c.db !== 'ok' ||
    failing > 0 ||
    coreLevel === 'bad' ||
    recLevel === 'bad' ||
    panelsLevel === 'bad' ||
    camerasLevel === 'bad'
      ? 'bad'
      : problems.length
        ? 'warn'
        : 'ok';
  return [
    h(
      'div',
      { class: `sys-banner sys-${overall}`, id: 'sys-banner', role: 'status', dataset: { level: overall } },
      problems.length ? t('sysAttention', { list: problems.join(t('sysListJoin')) }) : t('sysAllOk'),
      // Who has taken charge of what, as the desks' badge heard it.
      problems.length
        ? takenInCharge().map((x) =>
            h('div', { class: 'sys-banner-ack' }, ackedBy(x.ack), t('sysAckedOf'), x.text),
          )
        : null,
    ),
    h(
      'div',
      { class: 'sys-tiles' },
      h(
        'section',
        {
          class: `card sys-tile sys-wide sys-${coreLevel}`,
          id: 'sys-alarm-path',
          dataset: { level: coreLevel },
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
            panelsLevel,
            t('sysOnlineOf', { n: panels.online, of: panels.panels }),
            t('sysPanelsLine', { n: panels.connected ?? 0, port: panels.port ?? '—' }),
            panels.lost > 0 ? t('sysPanelsLost', { n: panels.lost }) : null,
            panelsLost,
          )
        : null,
      cams
        ? tile(
            'sys-cameras',
            t('sysCameras'),
            camerasLevel,
            cams.cameras === 0 ? t('sysNoCameras') : t('sysOnlineOf', { n: cams.up, of: cams.cameras }),
            cams.lost > 0 ? t('sysCamerasLost', { n: cams.lost }) : null,
            camerasLost,
          )
        : null,
      rec
        ? tile(
            'sys-recording',
            t('sysRecording'),
            recLevel,
            recLevel === 'ok' ? t('sysOk') : recProblems[0],
            ...(recLevel === 'ok' ? [t('sysRecordingLine')] : recProblems.slice(1)),
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
  ];
}
