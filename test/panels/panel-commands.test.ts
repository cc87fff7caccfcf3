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
      store: new PanelStore(db.k),
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
    // The command carries its expiry (the timeout): a panel that reconnects later must not obey it.
    expect(sent).toEqual([
      {
        panelId: 'p1',
        message: { command: 'arm_away', requestId: c.requestId, expiresAt: '2026-11-22T08:00:30.000Z' },
      },
    ]);
    expect((await cmds.get(c.requestId))?.expiresAt).toBe('2026-11-22T08:00:30.000Z');
    await cmds.reply('p1', { requestId: c.requestId, ok: true });
    expect((await cmds.get(c.requestId))?.state).toBe('ok');
    await vi.advanceTimersByTimeAsync(60_000);
    expect((await cmds.get(c.requestId))?.state).toBe('ok');
    cmds.stop();
  });

  it('times out without a reply, and a late reply changes nothing', async () => {
    const cmds = make();
    const c = await cmds.send('p1', 'silence', 'op');
    await vi.advanceTimersByTimeAsync(29_000);
    expect((await cmds.get(c.requestId))?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(async () =>
      expect(await cmds.get(c.requestId)).toMatchObject({
        state: 'timeout',
        error: 'no reply from the panel',
      }),
    );
    await cmds.reply('p1', { requestId: c.requestId, ok: true });
    expect((await cmds.get(c.requestId))?.state).toBe('timeout');
    cmds.stop();
  });

  it('a command whose node died times out by the sweep of another node, once', async () => {
    const sender = make();
    const c = await sender.send('p1', 'arm_away', 'op');
    sender.stop(); // the node that sent it is gone: its timer with it
    const other = make();
    expect(await other.expireDue()).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await other.expireDue()).toBe(1);
    expect(await other.expireDue()).toBe(0);
    expect(await other.get(c.requestId)).toMatchObject({ state: 'timeout' });
  });

  it('a pending command keeps its deadline across a restart', async () => {
    const first = make();
    const c = await first.send('p1', 'test', 'site-user');
    first.stop();
    await vi.advanceTimersByTimeAsync(20_000);
    const second = make();
    await second.start();
    await vi.advanceTimersByTimeAsync(9_000);
    expect((await second.get(c.requestId))?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await second.get(c.requestId))?.state).toBe('timeout');
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
    await cmds.reply(from, body(c.requestId));
    expect((await cmds.get(c.requestId))?.state).toBe('pending');
    expect(rejects).toEqual(['bad_payload']);
    cmds.stop();
  });
});

describe('a command queued for an offline panel', () => {
  it('is not carried out by a panel that reconnects after its expiry', async () => {
    const { startTestService } = await import('../helpers/service.js');
    const { PanelSimulator } = await import('../../drivers/simulator/panel-simulator.js');
    const svc = await startTestService();
    try {
      const sim = new PanelSimulator({
        url: svc.mqttUrl,
        id: 'panel-1',
        secret: 'secret-panel-1',
        persistent: true,
      });
      await sim.connect();
      await sim.detach(); // offline, its session (and what is queued for it) kept by the broker
      const token = await svc.login('op', 'operator', 'city');
      const res = await fetch(`${svc.httpUrl}/api/panels/panel-1/command`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'disarm' }),
      });
      expect(res.status).toBe(202);
      const { requestId } = (await res.json()) as { requestId: string };
      // The panel comes back after the command expired (30 s): it must not disarm.
      const commands: string[] = [];
      const expired: string[] = [];
      sim.on('command', (c) => commands.push(c.command));
      sim.on('expired', (c) => expired.push(c.command));
      const realNow = Date.now;
      Date.now = () => realNow() + 60_000;
      try {
        await sim.connect();
        await expect.poll(() => expired, { timeout: 10_000 }).toEqual(['disarm']);
      } finally {
        Date.now = realNow;
      }
      expect(commands).toEqual([]);
      await sim.close();
      expect(requestId).toMatch(/[0-9a-f-]{36}/);
    } finally {
      await svc.close();
    }
  });
});
