import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { usernameKey } from '../../src/store/username-key.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin', 'sharpeyes.js'), ...args], {
      cwd: ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `user add` with every option given (what each refusal below gets wrong is the one it changes). */
const userAdd = (username: string, password = 'long-password', role = 'operator', scope = 'city') => [
  ...['user', 'add', '--username', username, '--password', password],
  ...['--role', role, '--scope', scope],
];

describe('sharpeyes CLI', () => {
  it('user add creates a scrypt-hashed user in the data dir, audited', async () => {
    const res = await cli(
      'user',
      'add',
      '--data-dir',
      dir,
      '--username',
      'duty1',
      '--password',
      'long-password',
      '--role',
      'operator',
      '--scope',
      'beicheng-station',
    );
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('created user duty1 (operator @ beicheng-station)');
    const db = new Database(join(dir, 'sharpeyes.db'), { readonly: true });
    const row = db
      .prepare('SELECT password_hash, role, scope FROM users WHERE username = ?')
      .get('duty1') as Record<string, string>;
    expect(row).toMatchObject({ role: 'operator', scope: 'beicheng-station' });
    expect(row['password_hash']).toMatch(/^scrypt\$/);
    expect(db.prepare("SELECT action, target FROM audit_log WHERE action = 'user.add'").get()).toEqual({
      action: 'user.add',
      target: 'user:duty1',
    });
    db.close();
  });

  it.each([
    [['user', 'add', '--username', 'x'], /--username, --password, --role and --scope are all required/],
    [userAdd('x', 'long-password', 'king'), /--role must be one of/],
    [userAdd('x', 'long-password', 'operator', 'atlantis'), /--scope "atlantis" is not a jurisdiction node/],
    [userAdd('x', 'long-password', 'site'), /is not a site in the config/],
    // The admin page's rules (POST /api/users), after duty1 above.
    [
      userAdd('duty 2'),
      /--username: a username may not hold spaces, slashes, control or invisible characters/,
    ],
    [userAdd('duty1'), /^sharpeyes user add: user duty1 already exists\n$/],
    [
      userAdd('DUTY1'),
      /^sharpeyes user add: user duty1 already exists \(usernames may not differ only in case or width\)\n$/,
    ],
    [
      userAdd('ｄｕｔｙ１'),
      /^sharpeyes user add: user duty1 already exists \(usernames may not differ only in case or width\)\n$/,
    ],
    [userAdd('samepass1', 'SAMEPASS1'), /--password: a password must not be the username/],
    [['fly'], /unknown verb "fly"/],
    [['start', '--http-port', 'abc'], /--http-port must be a port number/],
  ])('refuses %j with a clear message', async (args, message) => {
    const res = await cli(...args, '--data-dir', dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it('a refused duplicate changes nothing: one duty1, one user.add', () => {
    const db = new Database(join(dir, 'sharpeyes.db'), { readonly: true });
    const names = db.prepare('SELECT username FROM users').all() as { username: string }[];
    expect(names.filter((u) => usernameKey(u.username) === 'duty1')).toEqual([{ username: 'duty1' }]);
    expect(db.prepare("SELECT target FROM audit_log WHERE action = 'user.add'").all()).toEqual([
      { target: 'user:duty1' },
    ]);
    db.close();
  });

  it('names the file and key of a bad config', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'http: { port: 8080, colour: blue }\n');
    const res = await cli('start', '--config', bad, '--data-dir', dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad} is invalid`);
    expect(res.stderr).toContain('http: unknown key(s) "colour"');
  });
});
