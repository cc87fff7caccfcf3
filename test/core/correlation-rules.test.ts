import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventType } from '../../src/core/events.js';
import type { Incident } from '../../src/core/incident-types.js';
import { freshPostgresDatabase, stopSharedPostgres } from '../helpers/postgres.js';
import { type CoreFixture, ev, openCore } from './core-fixture.js';

/** One step of a scenario: an event `at` seconds after the start, or an operator action. */
type Step =
  | { at: number; type: EventType; zone?: string; device?: string; detail?: Record<string, unknown> }
  | { at: number; resolve: true };

interface Expected {
  rule: string;
  priority: number;
  confirmed: boolean;
  kind?: 'alarm' | 'maintenance';
  state?: string;
  events: number;
  confirmedBy?: string;
}

const COMM_LOST = { reason: 'communication_lost' };

const CASES: { name: string; steps: Step[]; incidents: Expected[]; armed?: boolean }[] = [
  {
    name: 'panic opens a P1 at once',
    steps: [{ at: 0, type: 'panic', zone: '1' }],
    incidents: [{ rule: 'life-safety-p1', priority: 1, confirmed: true, events: 1 }],
  },
  ...(['duress', 'fire', 'medical'] as const).map((type) => ({
    name: `${type} opens a P1 at once`,
    steps: [{ at: 0, type }],
    incidents: [{ rule: 'life-safety-p1', priority: 1, confirmed: true, events: 1 }],
  })),
  {
    name: 'one intrusion zone opens an unconfirmed P2',
    steps: [{ at: 0, type: 'intrusion', zone: '1' }],
    incidents: [{ rule: 'intrusion-unconfirmed', priority: 2, confirmed: false, events: 1 }],
  },
  {
    name: 'a second zone within the window confirms it as P1',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 60, type: 'intrusion', zone: '2' },
    ],
    incidents: [
      {
        rule: 'intrusion-unconfirmed',
        priority: 1,
        confirmed: true,
        events: 2,
        confirmedBy: 'sequential-confirmation',
      },
    ],
  },
  {
    name: 'a second zone after the window joins but does not confirm',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 1801, type: 'intrusion', zone: '2' },
    ],
    incidents: [{ rule: 'intrusion-unconfirmed', priority: 2, confirmed: false, events: 2 }],
  },
  {
    name: 'the same zone again joins without confirming',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 10, type: 'intrusion', zone: '1' },
    ],
    incidents: [{ rule: 'intrusion-unconfirmed', priority: 2, confirmed: false, events: 2 }],
  },
  {
    name: 'motion on the camera linked to the zone confirms',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 30, type: 'motion', device: 'cam-front' },
    ],
    incidents: [
      {
        rule: 'intrusion-unconfirmed',
        priority: 1,
        confirmed: true,
        events: 2,
        confirmedBy: 'sequential-confirmation',
      },
    ],
  },
  {
    name: 'a person on the linked camera confirms',
    steps: [
      { at: 0, type: 'intrusion', zone: '2' },
      { at: 30, type: 'person', device: 'cam-back' },
    ],
    incidents: [
      {
        rule: 'intrusion-unconfirmed',
        priority: 1,
        confirmed: true,
        events: 2,
        confirmedBy: 'sequential-confirmation',
      },
    ],
  },
  {
    name: 'motion on a camera not linked to the zone changes nothing',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 30, type: 'motion', device: 'cam-back' },
    ],
    incidents: [{ rule: 'intrusion-unconfirmed', priority: 2, confirmed: false, events: 1 }],
  },
  {
    name: 'a communication loss after an intrusion confirms it (and opens no ticket)',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 120, type: 'trouble', detail: COMM_LOST },
    ],
    incidents: [
      {
        rule: 'intrusion-unconfirmed',
        priority: 1,
        confirmed: true,
        events: 2,
        confirmedBy: 'sequential-confirmation',
      },
    ],
  },
  {
    name: 'a panic at a site with an unconfirmed intrusion raises it to P1',
    steps: [
      { at: 0, type: 'intrusion', zone: '1' },
      { at: 5, type: 'panic' },
    ],
    incidents: [{ rule: 'intrusion-unconfirmed', priority: 1, confirmed: true, events: 2 }],
  },
  {
    name: 'repeats from a site with an open incident join it',
    steps: [
      { at: 0, type: 'panic' },
      { at: 5, type: 'panic' },
      { at: 9, type: 'fire' },
    ],
    incidents: [{ rule: 'life-safety-p1', priority: 1, confirmed: true, events: 3 }],
  },
  {
    name: 'after the incident is resolved a new panic opens a new one',
    steps: [
      { at: 0, type: 'panic' },
      { at: 10, resolve: true },
      { at: 20, type: 'panic' },
    ],
    incidents: [
      { rule: 'life-safety-p1', priority: 1, confirmed: true, events: 1, state: 'new' },
      { rule: 'life-safety-p1', priority: 1, confirmed: true, events: 1, state: 'resolved' },
    ],
  },
  {
    name: 'trouble opens a P4 ticket that its restore closes',
    steps: [
      { at: 0, type: 'trouble', detail: { reason: 'low_battery' } },
      { at: 600, type: 'restore', detail: { reason: 'low_battery', restoreOf: 'trouble' } },
    ],
    incidents: [
      {
        rule: 'trouble-ticket',
        priority: 4,
        confirmed: true,
        kind: 'maintenance',
        state: 'resolved',
        events: 2,
      },
    ],
  },
  {
    name: 'a second trouble joins the open ticket',
    steps: [
      { at: 0, type: 'trouble', detail: { reason: 'ac_loss' } },
      { at: 60, type: 'trouble', detail: COMM_LOST },
    ],
    incidents: [{ rule: 'trouble-ticket', priority: 4, confirmed: true, kind: 'maintenance', events: 2 }],
  },
  {
    name: 'the restore of an alarm zone does not close a trouble ticket',
    steps: [
      { at: 0, type: 'trouble', detail: { reason: 'ac_loss' } },
      { at: 60, type: 'restore', zone: '1', detail: { restoreOf: 'intrusion' } },
    ],
    incidents: [
      { rule: 'trouble-ticket', priority: 4, confirmed: true, kind: 'maintenance', state: 'new', events: 1 },
    ],
  },
  {
    name: "a camera's video restore does not close the ticket of a dead panel (tickets are per device)",
    steps: [
      { at: 0, type: 'trouble', detail: COMM_LOST },
      { at: 60, type: 'video_loss' },
      { at: 90, type: 'video_restore' },
    ],
    incidents: [
      {
        rule: 'trouble-ticket',
        priority: 4,
        confirmed: true,
        kind: 'maintenance',
        state: 'resolved',
        events: 2,
      },
      { rule: 'trouble-ticket', priority: 4, confirmed: true, kind: 'maintenance', state: 'new', events: 1 },
    ],
  },
  {
    name: "a panel's own restore does not end its communication loss; the service's restore does",
    steps: [
      { at: 0, type: 'trouble', detail: COMM_LOST },
      { at: 30, type: 'restore', detail: { restoreOf: 'trouble' } },
      { at: 60, type: 'restore', detail: { reason: 'communication_restored' } },
    ],
    incidents: [
      {
        rule: 'trouble-ticket',
        priority: 4,
        confirmed: true,
        kind: 'maintenance',
        state: 'resolved',
        events: 2,
      },
    ],
  },
  {
    name: 'a ticket with two faults closes only when both are restored (AC loss, then the line)',
    steps: [
      { at: 0, type: 'trouble', detail: { reason: 'ac_loss' } },
      { at: 60, type: 'trouble', detail: COMM_LOST },
      { at: 120, type: 'restore', detail: { reason: 'communication_restored' } },
      { at: 180, type: 'restore', detail: { reason: 'ac_restored', restoreOf: 'trouble' } },
    ],
    incidents: [
      {
        rule: 'trouble-ticket',
        priority: 4,
        confirmed: true,
        kind: 'maintenance',
        state: 'resolved',
        events: 4,
      },
    ],
  },
  {
    name: 'tamper opens a P3',
    steps: [{ at: 0, type: 'tamper', zone: '1' }],
    incidents: [{ rule: 'tamper-p3', priority: 3, confirmed: true, events: 1 }],
  },
  { name: 'arm changes the site state only', steps: [{ at: 0, type: 'arm' }], incidents: [], armed: true },
  {
    name: 'arm then disarm leaves the site disarmed',
    steps: [
      { at: 0, type: 'arm' },
      { at: 60, type: 'disarm' },
    ],
    incidents: [],
    armed: false,
  },
  { name: 'a test report opens nothing', steps: [{ at: 0, type: 'test' }], incidents: [] },
  { name: 'motion alone opens nothing', steps: [{ at: 0, type: 'motion' }], incidents: [] },
  {
    name: 'a plate off the watchlist opens nothing',
    steps: [{ at: 0, type: 'plate', device: 'cam-front', detail: { text: '晋F12345' } }],
    incidents: [],
  },
  {
    name: 'a watchlist plate opens a confirmed P2 through the core',
    steps: [{ at: 0, type: 'plate', device: 'cam-front', detail: { text: '晋F12345', watchlist: true } }],
    incidents: [{ rule: 'plate-watchlist', priority: 2, confirmed: true, events: 1 }],
  },
  {
    name: 'a watchlist plate at a site with an open alarm joins it',
    steps: [
      { at: 0, type: 'panic', zone: '1' },
      { at: 30, type: 'plate', device: 'cam-front', detail: { text: '晋F12345', watchlist: true } },
    ],
    incidents: [{ rule: 'life-safety-p1', priority: 1, confirmed: true, events: 2 }],
  },
];

afterAll(() => stopSharedPostgres());

// Issue 16: the same rules, the same answers, on the embedded SQLite and on a city's PostgreSQL.
describe.each(['sqlite', 'postgres'] as const)('correlation rules (built-in defaults) on %s', (db) => {
  let fx: CoreFixture;
  const start = new Date('2026-03-01T08:00:00Z').getTime();
  beforeEach(async () => {
    const postgres = db === 'postgres' ? await freshPostgresDatabase() : undefined;
    // Only Date is faked: the core's group commit runs on setImmediate, which must stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start);
    fx = await openCore(postgres ? { postgres } : {});
  });
  afterEach(async () => {
    await fx.close();
    vi.useRealTimers();
  });

  it.each(CASES)('$name', async ({ steps, incidents, armed }) => {
    for (const step of steps) {
      vi.setSystemTime(start + step.at * 1000);
      if ('resolve' in step) {
        const [open] = await fx.store.incidents.list({ states: ['new'] });
        await fx.core.transition(open!.id, 'acknowledged', 'op');
        await fx.core.transition(open!.id, 'resolved', 'op', 'all clear');
        continue;
      }
      await fx.core.ingest(
        ev(step.type, {
          ...(step.zone ? { zone: step.zone } : {}),
          ...(step.device ? { device: step.device } : {}),
          ...(step.detail ? { detail: step.detail } : {}),
        }),
      );
    }
    const list = await fx.store.incidents.list({ site: 'shop-1' });
    const summary = (i: Incident) => ({
      rule: i.rule,
      priority: i.priority,
      confirmed: i.confirmed,
      events: i.events.length,
      kind: i.kind,
      state: i.state,
      ...(i.confirmedBy ? { confirmedBy: i.confirmedBy } : {}),
    });
    expect(list.map(summary)).toEqual(incidents.map((x) => ({ kind: 'alarm', state: 'new', ...x })));
    const state = (await fx.core.siteStates()).get('shop-1');
    expect(state?.armed).toBe(armed);
  });
});

describe('correlation rules from config', () => {
  it('evaluates configured rules in order and records the deciding rule', async () => {
    const fx = await openCore({
      extraYaml: `
rules:
  - { name: ignore-tamper, match: [tamper], action: ignore }
  - { name: any-intrusion-p1, match: [intrusion], action: open, priority: 1 }
  - { name: intrusion-late, match: [intrusion], action: open_unconfirmed }
`,
    });
    try {
      await fx.core.ingest(ev('tamper', { zone: '1' }));
      const out = await fx.core.ingest(ev('intrusion', { zone: '1' }));
      const inc = await fx.core.get(out.incident!);
      expect(inc).toMatchObject({ rule: 'any-intrusion-p1', priority: 1, confirmed: true });
      // No join rule is configured: a second intrusion opens a second incident.
      await fx.core.ingest(ev('intrusion', { zone: '2' }));
      expect(await fx.store.incidents.list({ site: 'shop-1' })).toHaveLength(2);
    } finally {
      await fx.close();
    }
  });

  it('rejects a rule that names an unknown event type', async () => {
    await expect(
      openCore({ extraYaml: 'rules: [{ name: x, match: [explosion], action: open }]\n' }),
    ).rejects.toThrow(/rules\.0\.match\.0/);
  });
});
