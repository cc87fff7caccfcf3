import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validationError } from '../../src/api/validation-errors.js';
import { ev } from '../core/core-fixture.js';
import { api, counterValue, startTestService, type TestService } from '../helpers/service.js';

const schema = z.strictObject({
  text: z.string().trim().min(1).max(10),
  count: z.coerce.number().int().min(1).max(5).optional(),
  kind: z.enum(['alarm', 'maintenance']).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
  tags: z.array(z.string()).max(2).optional(),
});
const ranged = z.strictObject({ from: z.string(), to: z.string() }).refine((q) => q.from < q.to, {
  message: 'to must be after from',
  path: ['to'],
  params: { reason: 'range_reversed' },
});

describe('validationError: zod issues as details a client translates', () => {
  it.each([
    [
      'text too long',
      { text: 'x'.repeat(11) },
      { field: 'text', issue: 'too_big', origin: 'string', limit: 10 },
    ],
    [
      'text empty after trimming',
      { text: '  ' },
      { field: 'text', issue: 'too_small', origin: 'string', limit: 1 },
    ],
    ['text missing', {}, { field: 'text', issue: 'invalid_type', expected: 'string', received: 'undefined' }],
    [
      'text a number',
      { text: 5 },
      { field: 'text', issue: 'invalid_type', expected: 'string', received: 'number' },
    ],
    [
      'count not a number',
      { text: 'a', count: 'many' },
      { field: 'count', issue: 'invalid_type', expected: 'number' },
    ],
    [
      'count too big',
      { text: 'a', count: 9 },
      { field: 'count', issue: 'too_big', origin: 'number', limit: 5 },
    ],
    [
      'an unknown kind',
      { text: 'a', kind: 'fire' },
      { field: 'kind', issue: 'invalid_value', values: ['alarm', 'maintenance'] },
    ],
    [
      'a bad time',
      { text: 'a', at: 'yesterday' },
      { field: 'at', issue: 'invalid_format', format: 'datetime' },
    ],
    [
      'three tags',
      { text: 'a', tags: ['a', 'b', 'c'] },
      { field: 'tags', issue: 'too_big', origin: 'array', limit: 2 },
    ],
    [
      'an unknown key',
      { text: 'a', colour: 'red' },
      { field: '', issue: 'unrecognized_keys', keys: ['colour'] },
    ],
  ])('%s', (_what, input, detail) => {
    const res = schema.safeParse(input);
    const err = validationError(res.error!, 'body', input);
    expect(err.status).toBe(400);
    expect(err.code).toBe('bad_request');
    expect(err.data['details']).toEqual([expect.objectContaining({ in: 'body', ...detail })]);
  });

  it('carries a refinement’s reason and never the rejected value', () => {
    const input = { from: '2026-05-22T21:40', to: '2026-05-22T20:00 secret-token' };
    const err = validationError(ranged.safeParse(input).error!, 'query', input);
    expect(err.data['details']).toEqual([
      {
        in: 'query',
        field: 'to',
        issue: 'custom',
        reason: 'range_reversed',
        message: 'query.to: to must be after from',
      },
    ]);
    expect(JSON.stringify(err.data)).not.toContain('secret-token');
  });
});

describe('a refused request over HTTP: 400 with code, message and details; counted; nothing changed', () => {
  let svc: TestService;
  let token: string;
  let incident: string;

  beforeAll(async () => {
    svc = await startTestService();
    token = await svc.login('op-val', 'operator', 'city');
    incident = (await svc.svc.need('core').ingest(ev('panic', { site: 'shop-1', device: 'panel-1' })))
      .incident!;
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('a note too long', async () => {
    const count = () =>
      counterValue(svc.httpUrl, 'sharpeyes_http_errors_total{status="400",code="bad_request"}');
    const before = await count();
    const res = await api<{ error: { code: string; message: string; details: unknown[] } }>(
      `${svc.httpUrl}/api/incidents/${incident}/notes`,
      token,
      { method: 'POST', body: JSON.stringify({ text: 'x'.repeat(4001) }) },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'bad_request',
      message: 'body.text: Too big: expected string to have <=4000 characters',
      details: [
        {
          in: 'body',
          field: 'text',
          issue: 'too_big',
          origin: 'string',
          limit: 4000,
          inclusive: true,
          message: 'body.text: Too big: expected string to have <=4000 characters',
        },
      ],
    });
    expect(await count()).toBe(before + 1);
    const inc = await api<{ notes?: unknown[] }>(`${svc.httpUrl}/api/incidents/${incident}`, token);
    expect(inc.body.notes ?? []).toEqual([]);
  });

  it('a query that is not what the route takes', async () => {
    const res = await api<{ error: { details: { in: string; field: string; issue: string }[] } }>(
      `${svc.httpUrl}/api/incidents?priority=9`,
      token,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ in: 'query', field: 'priority', issue: 'too_big' }),
    ]);
  });
});

describe('a reversed time range says so instead of listing nothing', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('GET /api/incidents?since>until is a 400 with the reason', async () => {
    const token = await svc.login('op-range', 'operator', 'city');
    const res = await api<{ error: { code: string; details: unknown[] } }>(
      `${svc.httpUrl}/api/incidents?since=2026-05-22T21:40:00Z&until=2026-05-22T20:00:00Z`,
      token,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ in: 'query', field: 'until', issue: 'custom', reason: 'range_reversed' }),
    ]);
    const ok = await api(
      `${svc.httpUrl}/api/incidents?since=2026-05-22T20:00:00Z&until=2026-05-22T21:40:00Z`,
      token,
    );
    expect(ok.status).toBe(200);
  });
});
