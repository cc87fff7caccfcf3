import type { Kysely } from 'kysely';
import type { DB } from '../store/db-types.js';

declare module '../store/db-types.js' {
  interface DB {
    wall_layouts: WallLayoutsTable;
  }
}

/** Migration 50: each operator's wall, as the JSON the console sent (validated on the way in and out). */
export interface WallLayoutsTable {
  user_id: number;
  layout: string;
  updated_at: string;
}

/** The `wall_layouts` table on the data layer. */
export class WallStore {
  constructor(private readonly k: Kysely<DB>) {}

  async layout(userId: number): Promise<string | undefined> {
    const r = await this.k
      .selectFrom('wall_layouts')
      .select('layout')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r?.layout;
  }

  async save(userId: number, layout: string, at: string): Promise<void> {
    await this.k
      .insertInto('wall_layouts')
      .values({ user_id: userId, layout, updated_at: at })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet((eb) => ({
          layout: eb.ref('excluded.layout'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
