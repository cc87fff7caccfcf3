import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PanelCommandMessage } from '../../drivers/mqtt-panel/protocol.js';
import { silentLogger } from '../../src/log.js';
import { PanelCommands } from '../../src/panels/panel-commands.js';
import { PanelStore } from '../../src/panels/panel-store.js';
import { SqliteStore } from '../../src/store/sqlite.js';

describe('panel commands', () => {
  let dir: string;
  let db: SqliteStore;
  let sent: { panelId: string; message: PanelCommandMessage }[];
  let rejects: string[];
  const make = () =>
    new PanelCommands({
      store: new PanelStore(db.db),
      publish: async (panelId, message) => {
        sent.push({ panelId, message });
      },
      log: silentLogger,
      timeoutMs: 30_000,
      onReject: (_p, reason) => rejects.push(reason),
    });

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-22T08:00:00Z') });
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-cmd-'));
    db = new SqliteStore(join(dir, 'sharpeyes.db'));
    sent = [];
    rejects = [];
  });
  afterEach(async () => {
    await db.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes with a requestId and settles on the reply', async () => {
    const cmds = make();
    const c = await cmds.send('p1', 'arm_away', 'op');
    expect(sent).toEqual([{ panelId: 'p1', message: { command: 'arm_away', requestId: c.requestId } }]);
    cmds.reply('p1', { requestId: c.requestId, ok: true });
    expect(cmds.get(c.requestId)?.state).toBe('ok');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cmds.get(c.requestId)?.state).toBe('ok');
    cmds.stop();
  });

  it('times out without a reply, and a late reply changes nothing', async () => {
    const cmds = make();
    const c = await cmds.send('p1', 'silence', 'op');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(cmds.get(c.requestId)?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(cmds.get(c.requestId)).toMatchObject({ state: 'timeout', error: 'no reply from the panel' });
    cmds.reply('p1', { requestId: c.requestId, ok: true });
    expect(cmds.get(c.requestId)?.state).toBe('timeout');
    cmds.stop();
  });

  it('a pending command keeps its deadline across a restart', async () => {
    const first = make();
    const c = await first.send('p1', 'test', 'site-user');
    first.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    const second = make();
    second.start();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(second.get(c.requestId)?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(second.get(c.requestId)?.state).toBe('timeout');
    second.stop();
  });

  it.each([
    ['another panel answers', 'p2', (id: string) => ({ requestId: id, ok: true })],
    ['no requestId', 'p1', () => ({ ok: true })],
    ['ok is not a boolean', 'p1', (id: string) => ({ requestId: id, ok: 'yes' })],
    ['unknown request', 'p1', () => ({ requestId: 'nope', ok: true })],
  ])('refuses a reply where %s', async (_name, from, body) => {
    const cmds = make();
    const c = await cmds.send('p1', 'disarm', 'op');
    cmds.reply(from, body(c.requestId));
    expect(cmds.get(c.requestId)?.state).toBe('pending');
    expect(rejects).toEqual(['bad_payload']);
    cmds.stop();
  });
});
