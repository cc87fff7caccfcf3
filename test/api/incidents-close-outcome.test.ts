import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import { ev } from '../core/core-fixture.js';
import { SERVICE_BACKENDS, stopSharedPostgres } from '../helpers/postgres.js';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

afterAll(() => stopSharedPostgres(), 60_000);

type Err = { error: { code: string; message: string; data?: Record<string, unknown> } };

/**
 * An alarm is closed with a coded outcome (结案: what it was; 误报: its cause), stored on the closing
 * transition in the move's own transaction, on SQLite and on PostgreSQL. Callers that send no outcome
 * keep working; a code the service does not know is a 400 that changes nothing.
 */
describe.each(SERVICE_BACKENDS)('closing an incident with an outcome on %s', (_name, storage) => {
  let svc: TestService;
  let op: string;
  let sup: string;
  const url = (p: string) => `${svc.httpUrl}${p}`;
  const post = <T>(p: string, token: string, body: unknown = {}) =>
    api<T>(url(p), token, { method: 'POST', body: JSON.stringify(body) });
  const get = async (id: string) => (await api<Incident>(url(`/api/incidents/${id}`), op)).body;

  beforeAll(async () => {
    svc = await startTestService({ yaml: `${QUIET_API_CITY_YAML}${await storage()}` });
    op = await svc.login('op-north', 'operator', 'north');
    sup = await svc.login('sup-city', 'supervisor', 'city');
  }, 120_000);
  afterAll(async () => svc?.close());

  /** A medical alarm at shop-1, acknowledged, its required steps done: ready to resolve. */
  const ready = async () => {
    const id = (await svc.svc.need('core').ingest(ev('medical', { site: 'shop-1', zone: '1' }))).incident!;
    expect((await post(`/api/incidents/${id}/ack`, op)).status).toBe(200);
    for (const [step, outcome] of [
      ['call-site', 'reached'],
      ['forward-station', 'forwarded'],
    ])
      expect((await post(`/api/incidents/${id}/steps/${step}`, op, { outcome })).status).toBe(200);
    return id;
  };

  it('误报 with a cause: the closing transition and the incident carry it, in GET, the list and the audit', async () => {
    const id = await ready();
    const res = await post<Incident>(`/api/incidents/${id}/false-alarm`, op, {
      outcome: 'device_fault',
      note: '前门磁松动',
    });
    expect(res.status).toBe(200);
    expect(res.body.transitions.at(-1)).toMatchObject({
      to: 'false_alarm',
      by: 'op-north',
      note: '前门磁松动',
      outcome: 'device_fault',
    });
    expect(res.body.outcome).toBe('device_fault');
    // No other move carries one.
    expect(res.body.transitions.slice(0, -1).every((t) => t.outcome === undefined)).toBe(true);
    expect((await get(id)).outcome).toBe('device_fault');
    const closed = await api<{ incidents: Incident[] }>(url('/api/incidents?state=false_alarm'), op);
    expect(closed.body.incidents.find((i) => i.id === id)?.outcome).toBe('device_fault');
    const audit = async () =>
      (
        await api<{ entries: { action: string; detail: Record<string, unknown> }[] }>(
          url(`/api/audit?target=incident:${id}`),
          sup,
        )
      ).body.entries.find((e) => e.action === 'incident.false_alarm')?.detail;
    await expect.poll(audit, { timeout: 5000 }).toMatchObject({ outcome: 'device_fault' });
  });

  it('结案 with an outcome is stored on the transition row itself', async () => {
    const id = await ready();
    const res = await post<Incident>(`/api/incidents/${id}/resolve`, op, { outcome: 'real_handled' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'resolved', outcome: 'real_handled' });
    const rows = await svc.svc
      .need('store')
      .k.selectFrom('transitions')
      .select(['to_state', 'outcome'])
      .where('incident_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(rows).toEqual([
      { to_state: 'new', outcome: null },
      { to_state: 'acknowledged', outcome: null },
      { to_state: 'resolved', outcome: 'real_handled' },
    ]);
  });

  it('a caller that sends no outcome still closes, and nothing is made up', async () => {
    const id = await ready();
    const res = await post<Incident>(`/api/incidents/${id}/resolve`, op, { note: 'all clear' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('resolved');
    expect(res.body).not.toHaveProperty('outcome');
    expect(res.body.transitions.at(-1)).not.toHaveProperty('outcome');
  });

  it.each([
    { action: 'false-alarm', body: { outcome: 'gremlins' }, code: 'unknown_outcome', says: 'user_error' },
    // A cause of a false alarm is no outcome of a resolved incident, and the other way round.
    { action: 'resolve', body: { outcome: 'device_fault' }, code: 'unknown_outcome', says: 'real_handled' },
    { action: 'false-alarm', body: { outcome: 'real_handled' }, code: 'unknown_outcome', says: 'unknown' },
    { action: 'resolve', body: { outcome: 'other' }, code: 'note_required', says: 'note' },
    { action: 'resolve', body: { outcome: 'other', note: '  ' }, code: 'note_required', says: 'note' },
    { action: 'resolve', body: { outcome: 42 }, code: 'bad_request', says: 'outcome' },
    { action: 'resolve', body: { outcome: '' }, code: 'bad_request', says: 'outcome' },
    { action: 'ack', body: { outcome: 'test' }, code: 'bad_request', says: 'outcome' },
  ])('$action with $body is 400 $code and changes nothing', async ({ action, body, code, says }) => {
    const id =
      action === 'ack'
        ? (await svc.svc.need('core').ingest(ev('medical', { site: 'shop-1', zone: '2' }))).incident!
        : await ready();
    const before = await get(id);
    const res = await post<Err>(`/api/incidents/${id}/${action}`, op, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toContain(says);
    const after = await get(id);
    expect(after.state).toBe(before.state);
    expect(after.transitions).toEqual(before.transitions);
    await post(`/api/incidents/${id}/false-alarm`, op);
  });

  it('`other` with a note is taken', async () => {
    const id = await ready();
    const res = await post<Incident>(`/api/incidents/${id}/resolve`, op, {
      outcome: 'other',
      note: '业主自行处理',
    });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('other');
  });
});
