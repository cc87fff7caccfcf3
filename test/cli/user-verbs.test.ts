import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsClient, startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const YAML = `${TEST_CITY_YAML}\nauth: { sessionCheckSeconds: 1, passwordHashCost: 14 }\n`;

describe('sharpeyes user list|disable|enable|passwd|revoke against a running service', () => {
  let svc: TestService;
  let config: string;

  async function cli(
    args: string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const all = [join(ROOT, 'bin', 'sharpeyes.js'), ...args, '--config', config, '--data-dir', svc.dataDir];
    const child = run(process.execPath, all, { cwd: ROOT });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return child.then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );
  }

  beforeAll(async () => {
    svc = await startTestService({ yaml: YAML });
    config = join(svc.dataDir, 'city.yaml');
    writeFileSync(config, YAML);
    await svc.login('duty1', 'operator', 'north');
    await svc.login('duty2', 'supervisor', 'city');
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('user list shows each user with role, scope, state and live sessions', async () => {
    const res = await cli(['user', 'list']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^USERNAME\s+ROLE\s+SCOPE\s+STATE\s+SESSIONS\s+LAST LOGIN$/m);
    expect(res.stdout).toMatch(/^duty1\s+operator\s+north\s+enabled\s+1\s+\d{4}-/m);
    const json = JSON.parse((await cli(['user', 'list', '--json'])).stdout) as {
      username: string;
      disabled: boolean;
    }[];
    expect(json.map((u) => u.username)).toEqual(['duty1', 'duty2']);
    expect(JSON.stringify(json)).not.toContain('scrypt');
  });

  it("user disable closes the user's open console socket on the running service within seconds", async () => {
    const token = await svc.login('duty1', 'operator', 'north');
    const socket = await opsClient(svc.httpUrl, token);
    const ended = new Promise<string>((resolve) =>
      socket.once('session:end', (e: { reason: string }) => resolve(e.reason)),
    );
    const res = await cli(['user', 'disable', '--username', 'duty1', '--reason', 'left the unit']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/^disabled user duty1 \(operator @ north\); 2 session\(s\) ended$/m);
    // The CLI is another process: no in-process signal reaches the service; its re-check (1 s) does.
    expect(await Promise.race([ended, new Promise((r) => setTimeout(() => r('timeout'), 5_000))])).toBe(
      'revoked',
    );
    await expect(svc.login('duty1', 'operator', 'north')).rejects.toThrow(/401/);
    expect((await cli(['user', 'enable', '--username', 'duty1'])).stdout).toMatch(/^enabled user duty1/m);
    await expect(svc.login('duty1', 'operator', 'north')).resolves.toBeTruthy();
    const actions = (await svc.svc.need('audit').list({ target: 'user:duty1' })).map(
      (a) => `${a.actor} ${a.action}`,
    );
    expect(actions).toEqual(expect.arrayContaining(['cli user.disable', 'cli user.enable']));
  });

  it('user passwd --password-stdin sets the password (kept out of ps and history) and ends the sessions', async () => {
    const res = await cli(
      ['user', 'passwd', '--username', 'duty2', '--password-stdin'],
      'new-long-password\n',
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^password changed for user duty2 \(supervisor @ city\); 1 session\(s\) ended$/m,
    );
    const login = await fetch(`${svc.httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duty2', password: 'new-long-password' }),
    });
    expect(login.status).toBe(200);
    expect(JSON.stringify(await svc.svc.need('audit').list({ target: 'user:duty2' }))).not.toContain(
      'new-long-password',
    );
  });

  it('user revoke ends every session and says how many', async () => {
    const res = await cli(['user', 'revoke', '--username', 'duty2']);
    expect(res.stdout).toMatch(
      /^sessions revoked for user duty2 \(supervisor @ city\); 1 session\(s\) ended$/m,
    );
  });

  it.each([
    [['user', 'disable'], /--username is required/],
    [['user', 'disable', '--username', 'ghost'], /user ghost does not exist/],
    [['user', 'passwd', '--username', 'duty2'], /exactly one of --password-stdin and --password/],
    [['user', 'passwd', '--username', 'duty2', '--password', 'short'], /8 to 256 characters/],
    [['user', 'revoke', '--username', 'duty2', '--bogus'], /Unknown option '--bogus'/],
  ])('%j fails with exit 2 and says why', async (args, message) => {
    const res = await cli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
