import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import type { DB } from './db-types.js';

/** What a prepared query's builder gets for a named parameter: a stand-in it must not look into. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

interface Compiled {
  sql: string;
  query: CompiledQuery['query'];
  /** Each SQL parameter: a named parameter (an item of a list one), or a constant the builder wrote. */
  slots: ({ name: string; item?: number } | { value: unknown })[];
}

const STAND_IN = '\u0000sharpeyes-param:';
/** Lists up to this long get a compiled form per length; longer ones (a page of incidents) are built each time. */
export const MAX_LIST = 8;

/** Runs compiled SQL on a connection at once and synchronously (SQLite: better-sqlite3). */
export type DirectRun = (sql: string, parameters: readonly unknown[]) => QueryResult<unknown>;

/** Per Kysely adapter (a transaction shares its database's): how to run a statement directly. */
const direct = new WeakMap<object, DirectRun>();

/**
 * Prepared queries inside a transaction of `k` run through `run` instead of Kysely's executor
 * (issue 13). On SQLite a transaction holds the one connection until it ends, so nothing else can
 * run on it meanwhile, and better-sqlite3 runs a statement synchronously: Kysely's executor only
 * wrapped each one in a dozen promises (a panic allocated 422 KB before, 388 KB after, measured in the
 * service; its CPU per panic did not change measurably, bench/README.md stop 28). Outside a
 * transaction the executor stays, because its connection lock is what keeps a lone query out of
 * another caller's open transaction.
 */
export function runDirectlyInTransactions(k: Kysely<DB>, run: DirectRun): void {
  direct.set(k.getExecutor().adapter, run);
}

let builds = 0;
/**
 * How many times a prepared query has been built and compiled in this process: a warm path builds
 * none (the start-up rehearsal's test reads it, `EventCore.rehearse`).
 */
export const preparedBuilds = (): number => builds;

/**
 * A query built and compiled by Kysely once, then run with new parameters (issue 13). Kysely builds
 * an immutable tree and compiles it to SQL on every call; on the alarm path that cost more than
 * SQLite running the statement (3.2 ms of a panic's 12 ms). The builder runs once per dialect (and
 * per length of each list parameter), with stand-ins for the named parameters; each call substitutes
 * the values. The query's shape must not depend on the values: a parameter is used as a value (or a
 * list for `in`), and constants the builder writes (a fixed `in` list, a literal) stay as written.
 */
export class Prepared<P extends Record<string, unknown>, R> {
  private readonly compiled = new WeakMap<object, Map<string, Compiled>>();

  constructor(private readonly build: (db: Kysely<DB>, p: Param<P>) => Compilable<R>) {}

  async execute(db: Kysely<DB>, params: P): Promise<QueryResult<R>> {
    const lengths = new Map<string, number>();
    for (const [name, v] of Object.entries(params)) if (Array.isArray(v)) lengths.set(name, v.length);
    if ([...lengths.values()].some((n) => n > MAX_LIST))
      return db.executeQuery(this.build(db, ((name: string) => params[name]) as Param<P>).compile());
    const c = this.compile(db, lengths);
    const parameters = c.slots.map((s) => {
      if ('value' in s) return s.value;
      const v = s.item === undefined ? params[s.name] : (params[s.name] as unknown[])[s.item];
      if (v === undefined) throw new Error(`prepared query: parameter ${s.name} is missing`);
      return v;
    });
    const run = db.isTransaction ? direct.get(db.getExecutor().adapter) : undefined;
    if (run) return run(c.sql, parameters) as QueryResult<R>;
    return db.executeQuery<R>({ sql: c.sql, query: c.query, parameters, queryId: createQueryId() });
  }

  async all(db: Kysely<DB>, params: P): Promise<R[]> {
    return (await this.execute(db, params)).rows;
  }

  async first(db: Kysely<DB>, params: P): Promise<R | undefined> {
    return (await this.execute(db, params)).rows[0];
  }

  /** Compiled once per dialect (a transaction shares its database's adapter) and list lengths. */
  private compile(db: Kysely<DB>, lengths: ReadonlyMap<string, number>): Compiled {
    const adapter = db.getExecutor().adapter;
    let forAdapter = this.compiled.get(adapter);
    if (!forAdapter) {
      forAdapter = new Map();
      this.compiled.set(adapter, forAdapter);
    }
    const shape = [...lengths].map(([name, n]) => `${name}:${n}`).join(',');
    let c = forAdapter.get(shape);
    if (c) return c;
    const p = ((name: string) => {
      const n = lengths.get(name);
      return n === undefined
        ? `${STAND_IN}${name}`
        : Array.from({ length: n }, (_, i) => `${STAND_IN}${name}#${i}`);
    }) as Param<P>;
    const q = this.build(db, p).compile();
    builds++;
    const slots = q.parameters.map((v) => {
      if (typeof v !== 'string' || !v.startsWith(STAND_IN)) return { value: v };
      const [name, item] = v.slice(STAND_IN.length).split('#') as [string, string | undefined];
      return item === undefined ? { name } : { name, item: Number(item) };
    });
    c = { sql: q.sql, query: q.query, slots };
    forAdapter.set(shape, c);
    return c;
  }
}

/**
 * `prepare<{ site: string }>()((k, p) => k.selectFrom(...).where('site', '=', p('site')))`: the
 * parameters' types are given, the result's inferred from the builder.
 */
export function prepare<P extends Record<string, unknown>>() {
  return <R>(build: (db: Kysely<DB>, p: Param<P>) => Compilable<R>): Prepared<P, R> => new Prepared(build);
}

/** Rows as one list per column: a prepared multi-row insert takes each column as a list parameter. */
export type Columns<T> = { [K in keyof T]: T[K][] };

function columns<T>(rows: readonly T[], names: readonly (keyof T & string)[]): Columns<T> {
  return Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n])])) as Columns<T>;
}

/**
 * Runs a prepared multi-row insert (its builder reads the rows back with `rowsOf`) over `rows`,
 * `MAX_LIST` rows a statement, so each length is compiled once.
 */
export async function executeRows<T>(
  q: Prepared<Columns<T>, unknown>,
  db: Kysely<DB>,
  rows: readonly T[],
  names: readonly (keyof T & string)[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += MAX_LIST)
    await q.execute(db, columns(rows.slice(i, i + MAX_LIST), names));
}

/**
 * In a prepared multi-row insert's builder: the rows of `names`, read back out of the column lists
 * (their length, at most `MAX_LIST`, is the statement's shape).
 */
export function rowsOf<T>(p: (name: keyof T & string) => unknown, names: readonly (keyof T & string)[]): T[] {
  const cols = names.map((n) => [n, p(n) as unknown[]] as const);
  return Array.from(
    { length: cols[0]![1].length },
    (_, i) => Object.fromEntries(cols.map(([n, list]) => [n, list[i]])) as T,
  );
}
