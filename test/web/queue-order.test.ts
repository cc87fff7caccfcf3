import { describe, expect, it } from 'vitest';
// The console's queue order is plain functions, imported here as the browser imports them.
import { holderOf, overdueSeconds, queueOf, tabCounts, tabOf } from '../../web/js/queue-order.js';

const T0 = Date.parse('2026-05-22T21:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
type Inc = {
  id: string;
  state: string;
  priority: number;
  kind: string;
  openedAt: string;
  updatedAt: string;
  transitions?: { to: string; by: string }[];
  owner?: string;
};
const inc = (
  id: string,
  state: string,
  priority: number,
  openedS: number,
  kind = 'alarm',
  extra: Partial<Inc> = {},
): Inc => ({
  id,
  state,
  priority,
  kind,
  openedAt: at(openedS),
  updatedAt: at(openedS + 60),
  ...extra,
});

describe('queue order', () => {
  // The shift: a 9-minute-old escalated fire, a new P1 panic, P4 tickets, an acknowledged P1.
  const list = [
    inc('panic-new', 'new', 1, 540),
    inc('ticket-1', 'new', 4, 600, 'maintenance'),
    inc('fire-old', 'new', 1, 0),
    inc('p1-acked', 'acknowledged', 1, 300),
    inc('p2-new', 'new', 2, 30),
    inc('p3-dispatched', 'dispatched', 3, 20),
    inc('p2-onscene', 'on_scene', 2, 100),
    inc('ticket-2', 'acknowledged', 4, 10, 'maintenance'),
    inc('resolved', 'resolved', 1, 5),
    inc('false', 'false_alarm', 2, 6),
  ];

  it.each([
    ['alarms', ['fire-old', 'panic-new', 'p2-new', 'p1-acked', 'p2-onscene', 'p3-dispatched']],
    ['maintenance', ['ticket-1', 'ticket-2']],
    ['closed', ['false', 'resolved']],
  ])('the %s tab', (tab, ids) => {
    expect(queueOf(list, tab).map((i) => i.id)).toEqual(ids);
  });

  it('counts each tab', () => {
    expect(tabCounts(list)).toEqual({ alarms: 6, maintenance: 2, closed: 2 });
    expect(tabOf(inc('x', 'on_scene', 4, 0, 'maintenance'))).toBe('maintenance');
  });

  it.each([
    ['a P1 unacknowledged for 61 s', inc('a', 'new', 1, 0), 61, 1],
    ['a P1 unacknowledged for 59 s', inc('a', 'new', 1, 0), 59, 0],
    ['a P2 after 4 min', inc('a', 'new', 2, 0), 240, 60],
    ['an acknowledged P1 after an hour', inc('a', 'acknowledged', 1, 0), 3600, 0],
    ['a P4 ticket after a day', inc('a', 'new', 4, 0, 'maintenance'), 86_400, 0],
  ])('overdue: %s', (_what, i, nowS, seconds) => {
    expect(overdueSeconds(i, T0 + nowS * 1000)).toBe(seconds);
  });

  it.each([
    ['nobody while new', inc('a', 'new', 1, 0), undefined],
    [
      'the operator who acknowledged it',
      inc('a', 'dispatched', 1, 0, 'alarm', {
        transitions: [
          { to: 'acknowledged', by: 'op-a' },
          { to: 'dispatched', by: 'op-b' },
        ],
      }),
      'op-a',
    ],
    ['its owner when it carries one (issue 17)', inc('a', 'new', 1, 0, 'alarm', { owner: 'op-c' }), 'op-c'],
  ])('who holds it: %s', (_what, i, who) => {
    expect(holderOf(i)).toBe(who);
  });
});
