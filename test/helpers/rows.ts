import type { Kysely } from 'kysely';
import type { DB } from '../../src/store/db-types.js';

/** How many rows a table holds (either database). */
export async function rowCount(k: Kysely<DB>, table: keyof DB & string): Promise<number> {
  const { n } = await k
    .selectFrom(table as 'events')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}
