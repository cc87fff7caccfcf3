import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NormalizedEvent } from '../../src/core/events.js';
import { silentLogger } from '../../src/log.js';
import { PanelStore } from '../../src/panels/panel-store.js';
import {
  lostTogetherLevel,
  type PanelCounts,
  type SupervisionDeps,
  SupervisionMaintainer,
} from '../../src/panels/supervision-maintainer.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const PANELS = [
  { id: 'p-fast', site: 'shop-1', heartbeatSeconds: 30 },
  { id: 'p-slow', site: 'bank-2', heartbeatSeconds: 300 },
];
/** A street of twelve shops' panels, for panels lost together. */
const STREET = Array.from({ length: 12 }, (_, i) => ({
  id: `p-${i}`,
  site: `shop-${i}`,
  heartbeatSeconds: 60,
}));

describe('panel supervision', () => {
  let dir: string;
  let db: SqliteStore;
  let ingested: NormalizedEvent[];
  let running: SupervisionMaintainer[];
  const T0 = Date.parse('2026-11-22T08:00:00Z');

  const make = (panels = PANELS, extra: Partial<SupervisionDeps> = {}) => {
    const sup = new SupervisionMaintainer({
      panels,
      store: new PanelStore(db.k),
      ingest: async (ev) => {
        ingested.push(ev);
        return { duplicate: ingested.filter((e) => e.key === ev.key).length > 1 };
      },
      log: silentLogger,
      graceMs: 2000,
      ...extra,
    });
    running.push(sup);
    return sup;
  };
  const keys = () => ingested.map((e) => `${e.type}:${e.device}`);

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-sup-'));
    db = new SqliteStore(join(dir, 'sharpeyes.db'));
    ingested = [];
    running = [];
  });
  afterEach(async () => {
    for (const s of running) await s.stop();
    await db.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a panel silent past its interval raises one trouble for its site; its return a restore', async () => {
    const sup = make();
    await sup.start();
    sup.heartbeat('p-fast', { battery: 80, mains: true });
    await vi.advanceTimersByTimeAsync(31_000);
    expect(ingested).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    await sup.settled();
    expect(keys()).toEqual(['trouble:p-fast']);
    expect(ingested[0]).toMatchObject({
      source: 'system',
      site: 'shop-1',
      detail: { reason: 'communication_lost', via: 'silent', silentSince: new Date(T0).toISOString() },
    });
    expect(sup.state('p-fast')).toMatchObject({ online: false, battery: 80, mains: true });
    // Still silent: no second trouble.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(keys()).toEqual(['trouble:p-fast']);

    sup.heartbeat('p-fast', { battery: 79 });
    await sup.settled();
    expect(keys()).toEqual(['trouble:p-fast', 'restore:p-fast']);
    expect(ingested[1]?.detail).toMatchObject({ reason: 'communication_restored' });
    expect(sup.state('p-fast')).toMatchObject({ online: true, battery: 79, commLostSince: undefined });
  });

  it.each([
    ['heartbeats', (s: SupervisionMaintainer) => s.heartbeat('p-fast', {})],
    ['events', (s: SupervisionMaintainer) => s.seen('p-fast')],
  ])('%s every 20 s keep a panel supervised without trouble', async (_name, ping) => {
    const sup = make();
    await sup.start();
    for (let i = 0; i < 10; i++) {
      ping(sup);
      await vi.advanceTimersByTimeAsync(20_000);
    }
    expect(ingested.filter((e) => e.device === 'p-fast')).toHaveLength(0);
  });

  it('the will (offline) raises the trouble at once', async () => {
    const sup = make();
    await sup.start();
    sup.seen('p-slow');
    sup.offline('p-slow');
    await sup.settled();
    expect(keys()).toEqual(['trouble:p-slow']);
    expect(ingested[0]?.detail).toMatchObject({ via: 'will', reason: 'communication_lost' });
  });

  it('timers survive a restart: the deadline is computed from the stored last-seen time', async () => {
    const first = make();
    await first.start();
    first.heartbeat('p-slow', { mains: false });
    first.armed('p-slow', 'home');
    await vi.advanceTimersByTimeAsync(200_000);
    await first.stop();

    // Down for 60 s, then a new process: 40 s of the 300 s interval (+2 s grace) are left.
    await vi.advanceTimersByTimeAsync(60_000);
    const second = make();
    await second.start();
    expect(second.state('p-slow')).toMatchObject({ armed: 'home', mains: false });
    await vi.advanceTimersByTimeAsync(41_000);
    expect(ingested.filter((e) => e.device === 'p-slow')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_500);
    await second.settled();
    expect(ingested.filter((e) => e.device === 'p-slow').map((e) => e.type)).toEqual(['trouble']);
  });

  it('after a long outage, a live panel has 10 s to reconnect before it counts as lost', async () => {
    const first = make();
    await first.start();
    first.seen('p-fast');
    first.seen('p-slow');
    await first.stop();
    await vi.advanceTimersByTimeAsync(3_600_000); // the service was down an hour
    const second = make();
    await second.start();
    await vi.advanceTimersByTimeAsync(5_000);
    second.seen('p-fast'); // reconnected in time
    await vi.advanceTimersByTimeAsync(5_001);
    await second.settled();
    expect(keys()).toEqual(['trouble:p-slow']);
    expect(ingested[0]?.detail).toMatchObject({ silentSince: new Date(T0).toISOString() });
  });

  it('a loss already reported before the restart is not raised again, and its restore follows', async () => {
    const first = make();
    await first.start();
    first.seen('p-fast');
    await vi.advanceTimersByTimeAsync(40_000);
    await first.settled();
    await first.stop();
    const lost = ingested.filter((e) => e.type === 'trouble' && e.device === 'p-fast');
    expect(lost).toHaveLength(1);

    const second = make();
    await second.start();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(ingested.filter((e) => e.type === 'trouble' && e.device === 'p-fast')).toHaveLength(1);
    second.seen('p-fast');
    await second.settled();
    const restore = ingested.find((e) => e.type === 'restore');
    expect(restore?.key).toBe(lost[0]?.key.replace('comm-lost', 'comm-restored'));
  });

  it('a crash between the trouble commit and saving the state re-raises the same key (idempotent)', async () => {
    const first = make();
    await first.start();
    first.seen('p-fast');
    // The commit succeeds but the process dies before the loss is saved: put the store back to what
    // it held before the commit, then start a new process on it.
    await vi.advanceTimersByTimeAsync(40_000);
    await first.stop();
    const key = ingested[0]?.key;
    await new PanelStore(db.k).saveStates([{ ...first.state('p-fast')!, commLostSince: undefined }]);
    const second = make();
    await second.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await second.settled();
    expect(ingested.map((e) => e.key)).toEqual([key, key]);
  });

  it('a panel never seen is supervised from the first start, also across restarts', async () => {
    const first = make();
    await first.start();
    await vi.advanceTimersByTimeAsync(20_000);
    await first.stop();
    const second = make();
    await second.start();
    expect(second.state('p-fast')).toMatchObject({ lastSeen: undefined, supervisedSince: T0 });
    await vi.advanceTimersByTimeAsync(12_500);
    await second.settled();
    expect(keys()).toContain('trouble:p-fast');
    expect(ingested.find((e) => e.device === 'p-fast')?.detail).toMatchObject({
      silentSince: new Date(T0).toISOString(),
    });
  });

  it('counts: the most panels whose silences began within the window of one another, not the panels never heard from', async () => {
    const sup = make(STREET);
    await sup.start();
    const W = 10 * 60_000;
    // p-10 and p-11 are never heard from; the ten others report.
    for (let i = 0; i < 10; i++) sup.heartbeat(`p-${i}`, {});
    expect(sup.counts(W)).toEqual({ panels: 12, online: 10, lost: 0, together: 0 });
    // Two shops fall silent at 08:00 (their wills), each for reasons of its own…
    sup.offline('p-0');
    sup.offline('p-1');
    await sup.settled();
    // …and an hour later the street's carrier drops six more, one every 30 s (each heard last just
    // before its loss; the others keep reporting).
    const online = new Set(Array.from({ length: 8 }, (_, i) => `p-${i + 2}`));
    const beat = () => {
      for (const id of online) sup.heartbeat(id, {});
    };
    for (let step = 0; step < 120; step++) {
      beat();
      await vi.advanceTimersByTimeAsync(30_000);
    }
    const hour = Date.now();
    for (let i = 2; i < 8; i++) {
      beat();
      sup.offline(`p-${i}`);
      online.delete(`p-${i}`);
      await vi.advanceTimersByTimeAsync(30_000);
    }
    beat();
    await sup.settled();
    const c = sup.counts(W);
    // The never-heard p-10 and p-11 are lost as well (since supervision began), counted apart.
    expect(c).toMatchObject({ panels: 12, online: 2, lost: 10, together: 6 });
    expect(c.firstAt).toBe(hour);
    expect(c.lastAt).toBe(hour + 5 * 30_000);
    // A window of a minute holds only three of them.
    expect(sup.counts(60_000).together).toBe(3);
    // Four come back: two lost together remain (and p-0, p-1 an hour earlier are never with them).
    for (let i = 2; i < 6; i++) sup.heartbeat(`p-${i}`, {});
    await sup.settled();
    expect(sup.counts(W)).toMatchObject({ lost: 6, together: 2 });
    expect(sup.counts(2 * 60 * 60_000)).toMatchObject({ together: 4 });
  });

  it('lostTogetherLevel: at least the panels and the share make a look worth it, the bad share a problem', () => {
    const rule = { panels: 10, share: 0.05, badShare: 0.25 };
    const c = (together: number, panels: number): PanelCounts => ({
      panels,
      online: 0,
      lost: together,
      together,
    });
    expect(lostTogetherLevel(c(9, 100), rule)).toBeUndefined(); // too few panels
    expect(lostTogetherLevel(c(10, 100), rule)).toBe('warn');
    expect(lostTogetherLevel(c(24, 100), rule)).toBe('warn');
    expect(lostTogetherLevel(c(25, 100), rule)).toBe('bad');
    expect(lostTogetherLevel(c(49, 1000), rule)).toBeUndefined(); // under 5 % of a city
    expect(lostTogetherLevel(c(50, 1000), rule)).toBe('warn');
    expect(lostTogetherLevel(c(0, 0), rule)).toBeUndefined();
  });

  it('counts on the node that sweeps: losses another node raised count together, though this node never heard those panels', async () => {
    const W = 10 * 60_000;
    const node = (sweeps: boolean) => make(STREET, { sweeps: () => sweeps });
    const a = node(true);
    const b = node(false);
    await a.start();
    await b.start();
    // The street's panels report to node b only; four of them then drop (their wills, on b).
    for (const p of STREET) b.heartbeat(p.id, {});
    await vi.advanceTimersByTimeAsync(1_000);
    for (let i = 0; i < 4; i++) b.offline(`p-${i}`);
    await b.settled();
    for (let i = 4; i < STREET.length; i++) b.heartbeat(`p-${i}`, {});
    // Node a learns the stored losses at its next flush.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.counts(W)).toMatchObject({ lost: 4, together: 4, firstAt: T0 });
    expect(b.counts(W)).toMatchObject({ lost: 4, together: 4 });
  });
});
