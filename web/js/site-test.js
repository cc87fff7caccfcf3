// The shop owner's test alarm, followed to its end: the command goes to the panel, the panel
// answers (GET /api/panels/:id/commands), and the centre receives the panel's test signal
// (GET /api/sites/:id/signals?type=test). Each step is a line with its time, so "测试指令已发送"
// becomes "中心 21:40:03 收到了您的测试报警".
import { api } from './api.js';
import { h } from './dom.js';
import { getLang, t } from './i18n.js';
import { clockText } from './zone.js';

const POLL_MS = 150;
const REPLY_TIMEOUT_MS = 35_000; // the service times a command out at 30 s
const SIGNAL_WAIT_MS = 15_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `21:40:03` on the city's clock. */
export function fmtClock(iso) {
  return clockText(iso, getLang());
}

/**
 * Runs a test from `panelId` of `siteId`, reporting each step to `onStep(lines)`; resolves with the
 * final lines. Steps: sent → panel answered (with its round trip) → centre received the signal.
 */
export async function runTest(siteId, panelId, onStep, { isDead = () => false } = {}) {
  const lines = [];
  const push = (kind, text) => {
    lines.push({ kind, text });
    onStep([...lines]);
  };
  const sent = await api(`/api/panels/${encodeURIComponent(panelId)}/command`, {
    method: 'POST',
    body: { command: 'test' },
  });
  push('pending', t('testStepSent', { time: fmtClock(sent.requestedAt ?? new Date().toISOString()) }));
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  let cmd = sent;
  while (cmd.state === 'pending' && Date.now() < deadline && !isDead()) {
    await sleep(POLL_MS);
    const { commands } = await api(`/api/panels/${encodeURIComponent(panelId)}/commands?limit=10`);
    cmd = commands.find((c) => c.requestId === sent.requestId) ?? cmd;
  }
  if (cmd.state !== 'ok') {
    push('bad', t(cmd.state === 'failed' ? 'testStepRefused' : 'testStepTimeout'));
    return lines;
  }
  const rtt = cmd.repliedAt ? Date.parse(cmd.repliedAt) - Date.parse(cmd.requestedAt) : undefined;
  push('ok', t('testStepAnswered', { time: fmtClock(cmd.repliedAt), ms: rtt ?? '—' }));
  // The panel reports the test as an event; it is stored with the time the centre received it.
  const since = new Date(Date.parse(cmd.requestedAt) - 1000).toISOString();
  const until = Date.now() + SIGNAL_WAIT_MS;
  while (Date.now() < until && !isDead()) {
    const { signals } = await api(
      `/api/sites/${encodeURIComponent(siteId)}/signals?type=test&since=${encodeURIComponent(since)}&limit=5`,
    );
    const got = signals.find((s) => s.device === panelId);
    if (got) {
      push('done', t('testStepReceived', { time: fmtClock(got.receivedAt) }));
      return lines;
    }
    await sleep(POLL_MS * 2);
  }
  push('warn', t('testStepNoSignal'));
  return lines;
}

export function testLines(lines) {
  return h(
    'ol',
    { class: 'test-steps', id: 'test-steps', 'aria-live': 'polite' },
    lines.map((l) => h('li', { class: `step-${l.kind}` }, l.text)),
  );
}
