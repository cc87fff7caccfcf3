import type { Role, SessionRepository, User, UserRepository } from './repositories.js';
import type { Db } from './sqlite.js';

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: string;
  scope: string;
  display_name: string | null;
  disabled: number;
}

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    role: r.role as Role,
    scope: r.scope,
    displayName: r.display_name,
    disabled: r.disabled === 1,
  };
}

export class SqliteUserRepository implements UserRepository {
  constructor(private readonly db: Db) {}

  async create(u: {
    username: string;
    passwordHash: string;
    role: Role;
    scope: string;
    displayName?: string;
  }): Promise<User> {
    const res = this.db
      .prepare(
        'INSERT INTO users (username, password_hash, role, scope, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(u.username, u.passwordHash, u.role, u.scope, u.displayName ?? null, new Date().toISOString());
    return (await this.get(Number(res.lastInsertRowid)))!;
  }

  async findByUsername(username: string): Promise<(User & { passwordHash: string }) | undefined> {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    return r ? { ...toUser(r), passwordHash: r.password_hash } : undefined;
  }

  async get(id: number): Promise<User | undefined> {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return r ? toUser(r) : undefined;
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }
}

export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, userId: number, at: string, expiresAt: string): Promise<void> {
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash, userId, at, expiresAt);
  }

  async resolve(tokenHash: string, now: string): Promise<User | undefined> {
    const r = this.db
      .prepare(
        `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`,
      )
      .get(tokenHash, now) as UserRow | undefined;
    return r ? toUser(r) : undefined;
  }

  async delete(tokenHash: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  async purgeExpired(now: string): Promise<number> {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes;
  }
}
