import type { z } from 'zod';
import { HttpError } from '../errors.js';

/**
 * One rejected field of a request, in a form a client can translate: the console turns
 * `{in: 'body', field: 'text', issue: 'too_big', origin: 'string', limit: 4000}` into
 * "备注不能超过 4000 个字" without parsing the English `message`, which stays for logs and tools.
 * The rejected value itself is never echoed: it may be a password or a token.
 */
export interface ValidationDetail {
  /** Where the bad value was: `body`, `query` or `params`. */
  in: string;
  /** Dotted path inside it (`text`, `tiles.3`); empty for the whole body or query. */
  field: string;
  /** The zod issue code: too_big, too_small, invalid_type, invalid_format, invalid_value, unrecognized_keys, custom, … */
  issue: string;
  /** too_big / too_small: what is counted (`string` characters, `array` items, `number`, `date`). */
  origin?: string;
  limit?: number;
  inclusive?: boolean;
  /** invalid_type: the type expected and the type received (never the value). */
  expected?: string;
  received?: string;
  /** invalid_format: `datetime`, `email`, `regex`, … */
  format?: string;
  /** invalid_value: the allowed values. */
  values?: (string | number | boolean | null)[];
  /** unrecognized_keys: the keys that are not allowed. */
  keys?: string[];
  /** custom: a machine-readable reason a refinement gives with `params: {reason}`, e.g. `range_reversed`. */
  reason?: string;
  /** English, as zod says it, prefixed with the location: `body.text: Too big: …`. */
  message: string;
}

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The type name of a value, as a detail may say it (never the value itself). */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}

/** The value at `path` inside `input`, or undefined when any step is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * One zod issue as a detail. Reads the issue loosely: zod adds codes between minor versions. With
 * the parsed `input`, an invalid_type says what type it received (`undefined` = the field is missing).
 */
export function issueDetail(issue: z.core.$ZodIssue, where: string, input?: unknown): ValidationDetail {
  const field = issue.path.map(String).join('.');
  const i = issue as unknown as Record<string, unknown>;
  const d: ValidationDetail = {
    in: where,
    field,
    issue: issue.code,
    message: `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`,
  };
  if (typeof i['origin'] === 'string') d.origin = i['origin'];
  const limit = i['maximum'] ?? i['minimum'];
  if (typeof limit === 'number' || typeof limit === 'bigint') d.limit = Number(limit);
  else if (limit instanceof Date) d.limit = limit.getTime();
  if (typeof i['inclusive'] === 'boolean') d.inclusive = i['inclusive'];
  if (typeof i['expected'] === 'string') d.expected = i['expected'];
  if (typeof i['received'] === 'string') d.received = i['received'];
  else if (issue.code === 'invalid_type' && input !== undefined)
    d.received = typeName(valueAt(input, issue.path));
  if (typeof i['format'] === 'string') d.format = i['format'];
  if (Array.isArray(i['values'])) d.values = i['values'].filter(isScalar);
  if (Array.isArray(i['keys'])) d.keys = i['keys'].map(String);
  const params = i['params'] as Record<string, unknown> | undefined;
  if (typeof params?.['reason'] === 'string') d.reason = params['reason'];
  return d;
}

/**
 * A 400 `bad_request` for a failed zod parse. The message is what it always was (each issue as
 * `where.path: message`, joined by "; "), and `details` carries the same issues for a client.
 */
export function validationError(error: z.ZodError, where = 'body', input?: unknown): HttpError {
  const details = error.issues.map((i) => issueDetail(i, where, input));
  return new HttpError(400, 'bad_request', details.map((d) => d.message).join('; '), { details });
}

/** The `details` an HttpError carries for the response body, if any (lifted out of its data). */
export function detailsOf(data: Record<string, unknown>): {
  details?: unknown;
  rest: Record<string, unknown>;
} {
  const { details, ...rest } = data;
  return details === undefined ? { rest } : { details, rest };
}
