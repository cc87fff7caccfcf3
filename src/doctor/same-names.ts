import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { AuthStore, type SameName } from '../auth/auth-store.js';
import type { Config } from '../config/schema.js';
import { usernameKeys } from '../store/migrations/116-username-keys.js';
import { openStoreReadonly, sqliteFile } from '../store/open.js';

/** What doctor found of the data: nothing to check yet, the accounts that share a name, or why it could not look. */
export type UsersCheck =
  | { kind: 'none' }
  | { kind: 'checked'; sameNames: SameName[] }
  | { kind: 'unchecked'; problem: string };

/**
 * The accounts of the data dir's (or PostgreSQL's) users that are one name but for case or width,
 * stored before migration 116 (`AuthStore.sameNames`). Read only: SQLite opened read-only, nothing
 * migrated or created; a data dir without a database yet has nothing to check.
 */
export async function checkUsers(storage: Config['storage']): Promise<UsersCheck> {
  if (storage.database.kind === 'sqlite' && !existsSync(sqliteFile(storage.dataDir))) return { kind: 'none' };
  try {
    const store = await openStoreReadonly(storage);
    try {
      // Not in the typed tables: the migrators read it, as here, in plain SQL both databases read alike.
      const applied = await sql<{
        version: number;
      }>`SELECT max(version) AS version FROM schema_migrations`.execute(store.k);
      if (Number(applied.rows[0]?.version ?? 0) < usernameKeys.version)
        return {
          kind: 'unchecked',
          problem: `the database is older than migration ${usernameKeys.version}, which keys usernames; the service brings it up to date when it starts`,
        };
      return { kind: 'checked', sameNames: await new AuthStore(store.k).sameNames() };
    } finally {
      await store.close();
    }
  } catch (err) {
    // Doctor is about the programs first: a database it cannot read (older than migration 116, locked,
    // unreachable) is said in a line, and the programs' verdict stands.
    return { kind: 'unchecked', problem: err instanceof Error ? err.message : String(err) };
  }
}

/** One line a shared name: which accounts, and what an admin does about it (a username never changes). */
export function sameNameLine(s: SameName): string {
  const [keeps, ...later] = s.usernames;
  return (
    `same username: ${s.usernames.join(', ')} are one name but for case or width (stored before migration 116; each still logs in by its exact name). ` +
    `${keeps} keeps it; give ${later.join(', ')} a new name: an admin adds each person an account under another name (用户管理 or \`user add\`), ` +
    `then disables the old one (\`user disable --username ${later[0]}\`)`
  );
}
