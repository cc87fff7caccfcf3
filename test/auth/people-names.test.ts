import { describe, expect, it } from 'vitest';
import { actorsOf, asSeenBySite, changeForSite, PeopleNames, viewFor } from '../../src/auth/people-names.js';
import type { Incident } from '../../src/core/incident-types.js';
import { silentLogger } from '../../src/log.js';

/** An incident view with every place a person who acted is named (issue 17's annotations too). */
const worked = {
  id: 'INC-1',
  site: 'shop-1',
  transitions: [
    { from: null, to: 'new', by: 'system', at: '2026-01-01T00:00:00Z' },
    { from: 'new', to: 'acknowledged', by: 'ack-er', at: '2026-01-01T00:00:01Z', note: '店主疑似报假警' },
  ],
  notes: [{ by: 'note-er', at: '2026-01-01T00:00:02Z', text: '嫌疑人为店员' }],
  units: [{ unit: 'car', dispatchedBy: 'sender', dispatchedAt: '2026-01-01T00:00:03Z' }],
  owner: { username: 'holder', since: '2026-01-01T00:00:01Z', via: 'take' },
  plan: {
    name: 'p',
    steps: [
      { id: 's', by: 'stepper' },
      { id: 't' },
      { id: 'd', dispatched: { by: 'sender' }, forwarded: { by: 'forwarder' } },
    ],
  },
  calls: [{ contact: 0, by: 'caller', note: '店主说没事' }],
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
    let rows = [
      { username: 'ack-er', displayName: '王磊', scope: 'north' },
      { username: 'caller', displayName: null, scope: 'north' },
    ];
    let fail = false;
    const names = new PeopleNames(async () => {
      if (fail) throw new Error('database away');
      return rows;
    }, silentLogger);
    const as = asSeenBySite(names, () => undefined);
    await names.refresh();
    expect(viewFor(names, 'operator', worked, as).people).toEqual({ 'ack-er': '王磊' });
    expect(viewFor(names, 'site', worked, as).people).toBeUndefined();
    names.set({ username: 'holder', displayName: '张伟', role: 'operator', scope: 'north' });
    expect(viewFor(names, 'supervisor', worked, as).people).toEqual({ 'ack-er': '王磊', holder: '张伟' });
    fail = true;
    rows = [];
    await names.refresh();
    expect(names.of(['ack-er'])).toEqual({ 'ack-er': '王磊' });
    fail = false;
    await names.refresh();
    expect(names.of(['ack-er', 'holder'])).toEqual({});
  });

  it('keeps no site user in memory, and reads their names from the store when a route asks', async () => {
    const asked: string[][] = [];
    const names = new PeopleNames(
      async () => [{ username: 'ack-er', displayName: '王磊', scope: 'north' }],
      silentLogger,
      async (usernames) => {
        asked.push(usernames);
        return usernames.includes('owner') ? [{ username: 'owner', displayName: '金店店主' }] : [];
      },
    );
    await names.refresh();
    names.set({ username: 'owner', displayName: '金店店主', role: 'site', scope: 'shop-1' });
    expect(names.of(['owner', 'ack-er'])).toEqual({ 'ack-er': '王磊' });
    expect(await names.named(['owner', 'ack-er', 'system', 'owner'])).toEqual({
      'ack-er': '王磊',
      owner: '金店店主',
    });
    expect(asked).toEqual([['owner']]); // the staff and `system` come from memory or are no one
    expect(await names.named(['ack-er'])).toEqual({ 'ack-er': '王磊' });
    expect(asked).toHaveLength(1);
  });

  it('shows a site user each staff login as the name of the node that acted, wherever the view holds one', async () => {
    const staff = ['ack-er', 'note-er', 'sender', 'holder', 'stepper', 'caller', 'confirmer', 'forwarder'];
    const names = new PeopleNames(
      async () =>
        staff.map((username) => ({
          username,
          displayName: `名字${username}`,
          scope: username === 'forwarder' ? 'city' : 'north',
        })),
      silentLogger,
    );
    await names.refresh();
    const nodes: Record<string, string> = { north: '北城派出所', city: '市局110指挥中心' };
    const as = asSeenBySite(names, (id) => nodes[id]);
    const theirs = viewFor(names, 'site', worked, as);
    const text = JSON.stringify(theirs);
    for (const u of staff) expect(text).not.toContain(`"${u}"`);
    expect(text).not.toContain('名字');
    expect(theirs.transitions.map((t) => t.by)).toEqual(['system', '北城派出所']);
    expect(actorsOf(theirs)).toEqual(new Set(['system', '北城派出所', '市局110指挥中心']));
    // None of the police's own text: no notes, no plan, no note on a transition or a call.
    expect(theirs).toMatchObject({ notes: [] });
    expect(theirs).not.toHaveProperty('plan');
    for (const said of ['店主疑似报假警', '嫌疑人为店员', '店主说没事']) expect(text).not.toContain(said);
    // The desks' view is untouched, and a login that is no staff member's stays (the site's own, a removed user).
    expect(viewFor(names, 'operator', worked, as)).toMatchObject({
      transitions: [{ by: 'system' }, { by: 'ack-er' }],
    });
    expect(as('owner-shop')).toBe('owner-shop');

    expect(
      changeForSite(
        {
          kind: 'workflow',
          what: 'owner',
          by: 'holder',
          detail: { owner: 'holder', from: 'forwarder', via: 'take' },
        },
        as,
      ),
    ).toEqual({
      kind: 'workflow',
      what: 'owner',
      by: '北城派出所',
      detail: { owner: '北城派出所', from: '市局110指挥中心', via: 'take' },
    });
    expect(
      changeForSite(
        { kind: 'transition', from: 'new', to: 'acknowledged', by: 'ack-er', note: '店主疑似报假警' },
        as,
      ),
    ).toEqual({
      kind: 'transition',
      from: 'new',
      to: 'acknowledged',
      by: '北城派出所',
    });
    expect(changeForSite({ kind: 'priority', from: 2, to: 1, confirmedBy: 'rule' }, as)).toEqual({
      kind: 'priority',
      from: 2,
      to: 1,
      confirmedBy: 'rule',
    });
  });
});
