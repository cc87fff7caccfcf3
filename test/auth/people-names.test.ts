import { describe, expect, it } from 'vitest';
import { actorsOf, PeopleNames, viewFor } from '../../src/auth/people-names.js';
import type { Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';

/** An incident view with every place a person who acted is named (issue 17's annotations too). */
const worked = {
  id: 'INC-1',
  site: 'shop-1',
  transitions: [
    { from: null, to: 'new', by: 'system', at: '2026-01-01T00:00:00Z' },
    { from: 'new', to: 'acknowledged', by: 'ack-er', at: '2026-01-01T00:00:01Z' },
  ],
  notes: [{ by: 'note-er', at: '2026-01-01T00:00:02Z', text: 'x' }],
  units: [{ unit: 'car', dispatchedBy: 'sender', dispatchedAt: '2026-01-01T00:00:03Z' }],
  owner: { username: 'holder', since: '2026-01-01T00:00:01Z', via: 'take' },
  plan: { name: 'p', steps: [{ id: 's', by: 'stepper' }, { id: 't' }] },
  calls: [{ contact: 0, by: 'caller' }],
  confirmation: { rule: 'r', kind: 'k', by: 'confirmer', at: '2026-01-01T00:00:04Z' },
  forward: { station: 'north', by: 'forwarder', at: '2026-01-01T00:00:05Z' },
} as unknown as Incident;

describe('people names', () => {
  it('finds everyone who acted on an incident, wherever its view names them', () => {
    expect([...actorsOf(worked)].sort()).toEqual(
      [
        'ack-er',
        'caller',
        'confirmer',
        'forwarder',
        'holder',
        'note-er',
        'sender',
        'stepper',
        'system',
      ].sort(),
    );
  });

  it('names those with a display name, to staff only, and keeps the last names when a refresh fails', async () => {
    let rows: { username: string; displayName: string | null }[] = [
      { username: 'ack-er', displayName: '王磊' },
      { username: 'caller', displayName: null },
    ];
    let fail = false;
    const names = new PeopleNames(async () => {
      if (fail) throw new Error('database away');
      return rows;
    }, silentLogger);
    await names.refresh();
    expect(viewFor(names, 'operator', worked).people).toEqual({ 'ack-er': '王磊' });
    expect(viewFor(names, 'site', worked).people).toBeUndefined();
    names.set('holder', '张伟');
    expect(viewFor(names, 'supervisor', worked).people).toEqual({ 'ack-er': '王磊', holder: '张伟' });
    fail = true;
    rows = [];
    await names.refresh();
    expect(names.of(['ack-er'])).toEqual({ 'ack-er': '王磊' });
    fail = false;
    await names.refresh();
    expect(names.of(['ack-er', 'holder'])).toEqual({});
  });
});
