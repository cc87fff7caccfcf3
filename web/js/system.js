// Supervisors' and admins' page: the receiver itself, as a duty engineer checks it first. Tiles for
// the alarm path (the last minute's alarms and how long their senders waited for a durable decision,
// with a trace of that wait while the page is open), the panels, the cameras, the DC-09 receiver, the
// database and the cluster; then every outbox sink: how far behind, and failing since when.
// Reads GET /api/health every 5 s, and below the tiles the history (GET /api/system/history, one
// point a minute up to six hours, wider steps up to a week) every minute: when did it begin?
// This file reads and refreshes; the parts are system-tiles.js (the banner and tiles),
// system-history-card.js and system-history-chart.js (the history), system-sinks.js (the follow-ups),
// with their levels in system-levels.js.
import { api } from './api.js';
import { fill, h } from './dom.js';
import { fmtSeconds, fmtTime, getLang, t } from './i18n.js';
import { historyCard, rangeOf } from './system-history-card.js';
import { sinksCard } from './system-sinks.js';
import { statusParts, TRACE, tile } from './system-tiles.js';

const EVERY_MS = 5000;
const HISTORY_EVERY_MS = 60_000;

/**
 * What the page held when it was left: a language switch mounts it again at once, and it comes back
 * in the new words with the same answers, wait trace and scroll, rather than empty and at the top.
 */
let left;
/** A mount this soon after leaving in another language is that language switch. */
const SWITCH_MS = 2000;

export function mount(root, params = []) {
  const page = h('div', { class: 'page system-view', id: 'system-view' });
  root.append(page);
  const lang = getLang();
  const was = left && left.lang !== lang && Date.now() - left.at < SWITCH_MS ? left : undefined;
  left = undefined;
  const waits = was?.waits ?? [];
  let dead = false;
  // The history card keeps its own element: the 5-s refresh moves it, the minute's reload fills it.
  const history = h('section', { class: 'card sys-history', id: 'sys-history' });
  let hours = rangeOf(params[0]);
  let loaded = 0;
  let shown = { hist: undefined, error: undefined, width: 0 };
  const width = () => Math.max(480, Math.round(history.clientWidth - 32) || 960);
  function show(hist, error) {
    shown = { hist, error, width: width() };
    fill(history, historyCard(hist, error, hours, choose, shown.width));
  }
  // A window made wider or narrower redraws the chart at its new width.
  const resized = new ResizeObserver(() => {
    if (shown.hist && Math.abs(width() - shown.width) > 16) show(shown.hist, shown.error);
  });
  resized.observe(history);
  async function loadHistory() {
    const asked = hours;
    loaded += 1;
    const mine = loaded;
    let hist;
    let error;
    try {
      hist = await api(`/api/system/history?hours=${asked}`);
    } catch (err) {
      error = err.message;
    }
    // A range chosen meanwhile wins over an older answer.
    if (dead || mine !== loaded) return;
    show(hist, error);
  }
  function choose(r) {
    if (r === hours) return;
    hours = r;
    // Replaced, not pushed: the page is not opened again (hashchange), and Back leaves the page.
    window.history.replaceState(null, '', `#/system/${r}h`);
    show(undefined, undefined);
    void loadHistory();
  }
  show(undefined, undefined);
  /** The last health read, for the page to come back with after a language switch. */
  let read = was?.read;

  function render(health, error, at) {
    read = { health, error, at };
    if (error) {
      fill(
        page,
        h('h1', {}, t('navSystem')),
        tile('sys-service', t('sysService'), 'bad', t('sysUnreachable'), error),
      );
      return;
    }
    const c = health.checks;
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
            uptime: fmtSeconds(health.uptimeSeconds ?? 0, { long: true }),
            version: health.version ?? '',
          }),
        ),
      ),
      ...statusParts(c, waits),
      history,
      sinksCard(c.outbox?.sinks ?? {}),
    );
  }

  /** Health answers without a login, and answers 503 with the same body when the database is down. */
  async function readHealth() {
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
      const health = await readHealth();
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

  if (was) {
    // The history card is in the page once the tiles are: drawn then, at its width.
    if (read) render(read.health, read.error, read.at);
    if (was.hist || was.histError) show(was.hist, was.histError);
    page.scrollTop = was.scrollTop;
  }
  void refresh();
  void loadHistory();
  const timer = setInterval(() => void refresh(), EVERY_MS);
  const historyTimer = setInterval(() => void loadHistory(), HISTORY_EVERY_MS);
  return () => {
    left = {
      lang,
      at: Date.now(),
      waits,
      read,
      hist: shown.hist,
      histError: shown.error,
      scrollTop: page.scrollTop,
    };
    dead = true;
    clearInterval(timer);
    clearInterval(historyTimer);
    resized.disconnect();
  };
}
