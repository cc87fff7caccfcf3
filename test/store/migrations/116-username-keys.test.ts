import { afterAll, describe, expect, it } from 'vitest';
import { AuthStore } from '../../../src/auth/auth-store.js';
import { stopSharedPostgres, storeBackendsFrom } from '../../helpers/postgres.js';

afterAll(() => stopSharedPostgres(), 60_000);

/** Users stored before 116, twins among them: SQLite's lower() folded ASCII only, nothing folded width. */
const OLD_USERS = ['Wang', 'wang', 'ｗａｎｇ', 'Émile', 'émile', 'op-1'];
const insertOld = `INSERT INTO users (username, password_hash, role, scope, created_at)
  VALUES ${OLD_USERS.map((_, i) => `('${OLD_USERS[i]}', 'x', 'operator', 'north', '2026-12-01T00:00:00Z')`).join(', ')}`;

/** A database at 115 holding OLD_USERS, then opened as the service opens it (every migration). */
const backends = storeBackendsFrom('mig116', 115, insertOld);

describe.each(backends)('migration 116: one name whatever its case or width (%s)', (_name, open) => {
  it('keeps every user stored before it; the oldest of twins holds the name, the others still log in as they are', async () => {
    const { store, cleanup } = await open();
    try {
      const rows = await store.k
        .selectFrom('users')
        .select(['username', 'username_key'])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.username, r.username_key])).toEqual([
        ['Wang', 'wang'],
        ['wang', null],
        ['ｗａｎｇ', null],
        ['Émile', 'émile'],
        ['émile', null],
        ['op-1', 'op-1'],
      ]);
      const auth = new AuthStore(store.k);
      expect((await auth.userWithHash('ｗａｎｇ'))?.username).toBe('ｗａｎｇ');
      expect(
        await Promise.all(
          ['WANG', 'wang', 'ｗａｎｇ', 'ÉMILE', 'OP-1', 'op-2'].map((n) => auth.usernameLike(n)),
        ),
      ).toEqual(['Wang', 'wang', 'ｗａｎｇ', 'Émile', 'op-1', undefined]);
      const user = (username: string) => ({
        username,
        passwordHash: 'x',
        role: 'operator' as const,
        scope: 'north',
      });
      expect(await store.users.createIfNew(user('wAng'))).toBeUndefined();
      expect(await store.users.createIfNew(user('ＯＰ-1'))).toBeUndefined();
      expect((await store.users.createIfNew(user('Op-2')))?.username).toBe('Op-2');
    } finally {
      await cleanup();
    }
  });
});
