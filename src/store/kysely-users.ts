import type { Kysely, Selectable } from 'kysely';
import type { DB, UsersTable } from './db-types.js';
import type { NewUser, Role, SessionRepository, User, UserRepository } from './repositories.js';
import { usernameKey } from './username-key.js';

function toUser(r: Selectable<UsersTable>): User {
  return {
    id: Number(r.id),
    username: r.username,
    role: r.role as Role,
    scope: r.scope,
    displayName: r.display_name,
    disabled: Number(r.disabled) === 1,
  };
}

/** Console users, written once for SQLite and PostgreSQL. */
export class KyselyUserRepository implements UserRepository {
  constructor(private readonly k: Kysely<DB>) {}

  async create(u: NewUser): Promise<User> {
    const created = await this.createIfNew(u);
    if (!created) throw new Error(`user "${u.username}" already exists`);
    return created;
  }

  async createIfNew(u: NewUser): Promise<User | undefined> {
    const r = await this.k
      .insertInto('users')
      .values({
        username: u.username,
        username_key: usernameKey(u.username),
        password_hash: u.passwordHash,
        role: u.role,
        scope: u.scope,
        display_name: u.displayName ?? null,
        created_at: u.at ?? new Date().toISOString(),
        disabled: 0,
      })
      // Taken as it is or under its key (`Wang` for `wang`): either unique index refuses it.
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async findByUsername(username: string): Promise<(User & { passwordHash: string }) | undefined> {
    const r = await this.k
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? { ...toUser(r), passwordHash: r.password_hash } : undefined;
  }

  async get(id: number): Promise<User | undefined> {
    const r = await this.k.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async count(): Promise<number> {
    const r = await this.k
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly k: Kysely<DB>) {}

  async create(tokenHash: string, userId: number, at: string, expiresAt: string): Promise<void> {
    await this.k
      .insertInto('sessions')
      .values({ token_hash: tokenHash, user_id: userId, created_at: at, expires_at: expiresAt })
      .execute();
  }

  async resolve(tokenHash: string, now: string): Promise<User | undefined> {
    const r = await this.k
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', now)
      .where('u.disabled', '=', 0)
      .executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async delete(tokenHash: string): Promise<void> {
    await this.k.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async purgeExpired(now: string): Promise<number> {
    const res = await this.k.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
